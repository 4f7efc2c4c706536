"""Overdue policies (超期处置策略): how long past its limit an order is urged (督办) or escalated (上报)
automatically by the timer. The province sets them for all; a city or district may set its own for
its subtree (the nearest one up the tree applies). Without any, orders are urged after
``HOTLINE_AUTO_URGE_AFTER_HOURS`` and never escalated automatically.

An admin's change is checked (escalating before urging is refused) and recorded in the history of administration
with the policy in force before and after (``infra/change_log.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.sla.errors import NotSetHere
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.edge import Real
from infra.refusals import InvalidField
from tenants.codes import lineage


class OverduePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urge_after_hours: Real | None = Field(None, ge=0, le=24 * 365,
                                           description="urge this long after the limit; null: never")
    escalate_after_hours: Real | None = Field(None, ge=0, le=24 * 365,
                                               description="escalate this long after the limit; null: never")


class OverduePolicyOut(OverduePolicy):
    source: str = Field(alias="from", description='the tenant whose policy is in force here, or "default" (the '
                                                  "deployment's HOTLINE_AUTO_URGE_AFTER_HOURS, no escalation)")


@dataclass(frozen=True)
class PolicyTable:
    rows: dict[str, OverduePolicy]
    default: OverduePolicy

    def at(self, code: str) -> tuple[OverduePolicy, str | None]:
        """The policy in force at ``code`` and the tenant that set it (None: the deployment's default)."""
        for ancestor in reversed(lineage(code)):
            if ancestor in self.rows:
                return self.rows[ancestor], ancestor
        return self.default, None


async def load(conn: AsyncConnection | AsyncSession, default_urge_hours: float) -> PolicyTable:
    rows = (await conn.execute(text(
        "SELECT tenant_code, urge_after_hours, escalate_after_hours FROM public.overdue_policies"))).all()
    return PolicyTable({code: OverduePolicy(urge_after_hours=u, escalate_after_hours=e) for code, u, e in rows},
                       OverduePolicy(urge_after_hours=default_urge_hours))


def _as_record(policy: OverduePolicy, source: str | None) -> dict[str, object]:
    return {**policy.model_dump(), "from": source or "default"}


def check_policy(policy: OverduePolicy) -> None:
    """An order is urged before it is escalated: escalating earlier than urging is refused."""
    urge, escalate = policy.urge_after_hours, policy.escalate_after_hours
    if urge is not None and escalate is not None and escalate < urge:
        raise InvalidField("escalate_after_hours", f"escalating ({escalate:g} hours after the limit) comes before "
                                                   f"urging ({urge:g} hours): an order is urged first")


async def _lock(session: AsyncSession) -> None:
    """Concurrent changes of overdue policies wait for each other, so each one's old value is the real one."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline.overdue_policies'))"))


async def set_policy(session: AsyncSession, tenant_code: str, policy: OverduePolicy, actor: Actor,
                     default_urge_hours: float) -> None:
    """Set the overdue policy of ``tenant_code`` and its subtree, recorded. Commits."""
    check_policy(policy)
    await _lock(session)
    before, source = (await load(session, default_urge_hours)).at(tenant_code)
    if source == tenant_code and before == policy:
        await session.rollback()
        return
    await session.execute(text(
        "INSERT INTO public.overdue_policies (tenant_code, urge_after_hours, escalate_after_hours, updated_by) "
        "VALUES (:t, :u, :e, :by) ON CONFLICT (tenant_code) DO UPDATE SET "
        "urge_after_hours = EXCLUDED.urge_after_hours, escalate_after_hours = EXCLUDED.escalate_after_hours, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant_code, "u": policy.urge_after_hours, "e": policy.escalate_after_hours, "by": actor.user})
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.overdue_policy, key=tenant_code,
        action=ChangeAction.update if source == tenant_code else ChangeAction.create, actor=actor.user,
        actor_name=actor.name, old=_as_record(before, source), new=_as_record(policy, tenant_code)))
    await session.commit()


async def remove_policy(session: AsyncSession, tenant_code: str, actor: Actor, default_urge_hours: float) -> None:
    """Remove the tenant's own overdue policy: the nearest one above (or the default) applies again. Commits."""
    await _lock(session)
    table = await load(session, default_urge_hours)
    if tenant_code not in table.rows:
        raise NotSetHere("overdue policy", tenant_code)
    old = table.rows.pop(tenant_code)
    await session.execute(text("DELETE FROM public.overdue_policies WHERE tenant_code = :t"), {"t": tenant_code})
    after, source = table.at(tenant_code)
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.overdue_policy, key=tenant_code, action=ChangeAction.delete,
        actor=actor.user, actor_name=actor.name, old=_as_record(old, tenant_code), new=_as_record(after, source)))
    await session.commit()
