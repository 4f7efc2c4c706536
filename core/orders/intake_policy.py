"""The province's intake policy (受理策略): who may backfill (补录) a request that came in on another channel
(a letter, a visit, a call the system missed) with the time it really came in, and how far back. Set by the
province's admin for every level of the province; without it, operators may, up to 72 hours back. The deadlines
of a backfilled order run from that time; its register event records it.

Only roles that register orders may be named (others never reach intake); each change is recorded in the
history of administration with the policy before and after.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.context import Context, field_error
from core.orders.errors import ProvinceOnly, RoleNeeded
from iam.actors import Actor, Role
from iam.policies import MATRIX
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.edge import whole
from infra.refusals import InvalidField
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/intake-policy", tags=["orders"])


class IntakePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backfill_roles: list[Role] = Field(default_factory=lambda: [Role.operator], max_length=9,
                                       description="the roles that may give an order's received_at (补录): "
                                                   "roles that register orders")
    backfill_hours: whole(ge=0, le=8760) = Field(72, description="how far back received_at may be")


class IntakePolicyOut(IntakePolicy):
    source: str = Field(alias="from", description='the province that set it, or "default"')


DEFAULT = IntakePolicy()
# The roles that register orders (受理), by the permission matrix: only they can backfill.
INTAKE_ROLES = frozenset(role for role, grants in MATRIX.items() if ("self", "order", "create") in grants)


async def load(session: AsyncSession, tenant_code: str) -> tuple[IntakePolicy, bool]:
    """The policy in force at ``tenant_code`` (its province's), and whether the province set it."""
    row = (await session.execute(text(
        "SELECT backfill_roles, backfill_hours FROM public.intake_policies WHERE tenant_code = :p"),
        {"p": tenant_code[:2]})).first()
    if row is None:
        return DEFAULT, False
    return IntakePolicy(backfill_roles=[Role(r) for r in row[0] if r in Role.__members__],
                        backfill_hours=row[1]), True


async def check_backfill(ctx: Context, received_at: datetime) -> None:
    """补录: refused unless the person's role may, and ``received_at`` is within the window and not ahead."""
    policy, _ = await load(ctx.session, ctx.tenant.code)
    if not ctx.actor.roles & set(policy.backfill_roles):
        raise RoleNeeded((r.value for r in policy.backfill_roles), "backfill (received_at)")
    if received_at > ctx.now:
        raise field_error("received_at", "the time the request came in cannot be in the future")
    if received_at < ctx.now - timedelta(hours=policy.backfill_hours):
        raise field_error("received_at", f"the province allows backfilling up to {policy.backfill_hours} hours back")


def _as_record(policy: IntakePolicy, source: str) -> dict[str, Any]:
    return {"backfill_roles": sorted({r.value for r in policy.backfill_roles}), "backfill_hours": policy.backfill_hours,
            "from": source}


async def set_policy(session: AsyncSession, tenant_code: str, policy: IntakePolicy, actor: Actor) -> None:
    """Set the province's intake policy, recorded with the one before. Commits."""
    if len(tenant_code) != 2:
        raise ProvinceOnly("the intake policy", tenant_code)
    others = sorted(r.value for r in set(policy.backfill_roles) - INTAKE_ROLES)
    if others:
        raise InvalidField("backfill_roles", f"{', '.join(others)} do not register orders: only "
                                             f"{' and '.join(sorted(r.value for r in INTAKE_ROLES))} can backfill")
    # Concurrent changes wait for each other (the row, or its absence, is read under the lock).
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline.intake_policies'))"))
    before, was_set = await load(session, tenant_code)
    old, new = _as_record(before, tenant_code if was_set else "default"), _as_record(policy, tenant_code)
    if was_set and old == new:
        await session.rollback()
        return
    await session.execute(text(
        "INSERT INTO public.intake_policies (tenant_code, backfill_roles, backfill_hours, updated_by) "
        "VALUES (:t, :r, :h, :by) ON CONFLICT (tenant_code) DO UPDATE SET backfill_roles = EXCLUDED.backfill_roles, "
        "backfill_hours = EXCLUDED.backfill_hours, updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant_code, "r": new["backfill_roles"], "h": policy.backfill_hours, "by": actor.user})
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.intake_policy, key=tenant_code,
        action=ChangeAction.update if was_set else ChangeAction.create, actor=actor.user, actor_name=actor.name,
        old=old, new=new))
    await session.commit()


@router.get("", response_model=IntakePolicyOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "read"))])
async def get_policy(tenant: CurrentTenant, session: TenantSession) -> IntakePolicyOut:
    """The intake policy in force here (the province's), and who set it ("default": nobody)."""
    policy, set_ = await load(session, tenant.code)
    return IntakePolicyOut.model_validate({"from": tenant.code[:2] if set_ else "default", **policy.model_dump()})


@router.put("", response_model=IntakePolicyOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def put_policy(tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                     body: IntakePolicy) -> IntakePolicyOut:
    """Set who may backfill and how far back, for the whole province (the province's admin; a role that does not
    register orders is refused: 422 on ``backfill_roles``)."""
    await set_policy(session, tenant.code, body, actor)
    return await get_policy(tenant, session)
