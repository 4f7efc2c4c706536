"""Setting time limits (办理时限) and the rework limit (重办时限): what an admin may set, and the record of it.

The province's admin sets the defaults for every level; a city's or a district's admin sets its own for its
subtree, and the nearest setting up the tree applies (``policy.nearest_row``, ``rework.rework_days``). Each write:

- is checked whole before anything is written (422 naming the field, as the form shows it beside the field);
- raises the ``sla`` settings counter first, which also makes concurrent writers of time limits wait for each
  other, so each one's "old value" is what really was in force;
- records every value it changes in the history of administration (``infra/change_log.py``): the value in force
  before (and whose it was) and the new one, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.sla.errors import NotSetHere, TimeLimitRequired
from core.sla.models import SlaPolicy
from core.sla.policy import Limit, PolicyRow, nearest_row
from core.sla.rework import DEFAULT_REWORK_DAYS
from core.sla.schemas import LimitIn, LimitUnit, PolicyIn
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.refusals import InvalidField
from infra.settings_versions import CachedSetting, bump
from tenants.codes import lineage

# The longest limit of each unit: two months of working days, a month of hours.
MAX_VALUE = {LimitUnit.hours: 720, LimitUnit.working_days: 60}
UNIT_WORDS = {LimitUnit.hours: "hours", LimitUnit.working_days: "working days"}
# A working day of the calendar is 24 working hours (core.sla.calendar.DAY): how a sign limit in one unit is
# compared with a handling limit in the other.
HOURS_PER_WORKING_DAY = 24


def _hours(limit: LimitIn) -> int:
    return limit.value * (HOURS_PER_WORKING_DAY if limit.unit == LimitUnit.working_days else 1)


def _words(limit: LimitIn) -> str:
    return f"{limit.value} {UNIT_WORDS[limit.unit]}"


def check_limits(items: Sequence[PolicyIn]) -> None:
    """Refuse the whole list at its first bad value, naming it as ``<index>.<sign|handle>.value``."""
    if not items:
        raise InvalidField("limits", "send at least one type × urgency with its limits")
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        key = (item.type.value, item.urgency.value)
        if key in seen:
            raise InvalidField(f"{i}.urgency", f"{item.urgency} {item.type} is sent twice (also as item {seen[key]})")
        seen[key] = i
        for part, limit in (("sign", item.sign), ("handle", item.handle)):
            if limit.value > MAX_VALUE[limit.unit]:
                raise InvalidField(f"{i}.{part}.value", f"at most {MAX_VALUE[limit.unit]} {UNIT_WORDS[limit.unit]}")
        if _hours(item.sign) > _hours(item.handle):
            raise InvalidField(f"{i}.sign.value", f"the time to sign ({_words(item.sign)}) is longer than the time "
                                                  f"to handle ({_words(item.handle)}): an order is signed before "
                                                  "it is handled")


def _as_row(p: SlaPolicy) -> PolicyRow:
    return PolicyRow(p.owner_tenant, p.type, p.urgency, Limit(p.sign_value, p.sign_unit),
                     Limit(p.handle_value, p.handle_unit))


def _described(row: PolicyRow | None, province: str) -> dict[str, object] | None:
    """A policy as the history keeps it: both limits and whose setting it is."""
    if row is None:
        return None
    return {"sign": {"value": row.sign.value, "unit": row.sign.unit},
            "handle": {"value": row.handle.value, "unit": row.handle.unit},
            "from": row.owner_tenant or province}


async def _lineage_rows(session: AsyncSession, codes: list[str]) -> list[PolicyRow]:
    found = await session.scalars(select(SlaPolicy).where(
        or_(SlaPolicy.owner_tenant.is_(None), SlaPolicy.owner_tenant.in_(codes))))
    return [_as_row(p) for p in found.all()]


def _owner(tenant_code: str) -> str | None:
    """Whose rows a tenant's settings are: the province's are the defaults (no owner)."""
    return None if len(tenant_code) == 2 else tenant_code


async def set_limits(session: AsyncSession, tenant_code: str, items: Sequence[PolicyIn], actor: Actor) -> int:
    """Set type × urgency limits of ``tenant_code`` and its subtree; returns how many changed (0: nothing to do,
    nothing recorded). Commits."""
    check_limits(items)
    await bump(session, CachedSetting.sla)
    codes = lineage(tenant_code)
    rows = await _lineage_rows(session, codes)
    owner = _owner(tenant_code)
    changed = 0
    for item in items:
        type_, urgency = item.type.value, item.urgency.value
        before = nearest_row(rows, codes, type_, urgency)
        own = before if before is not None and before.owner_tenant == owner else None
        sign, handle = Limit(item.sign.value, item.sign.unit.value), Limit(item.handle.value, item.handle.unit.value)
        if own is not None and own.sign == sign and own.handle == handle:
            continue
        await session.execute(text(
            "INSERT INTO public.sla_policies (owner_tenant, type, urgency, sign_value, sign_unit, handle_value, "
            "handle_unit) VALUES (:o, :t, :u, :sv, :su, :hv, :hu) "
            "ON CONFLICT ((coalesce(owner_tenant, '')), type, urgency) DO UPDATE SET "
            "sign_value = EXCLUDED.sign_value, sign_unit = EXCLUDED.sign_unit, "
            "handle_value = EXCLUDED.handle_value, handle_unit = EXCLUDED.handle_unit"),
            {"o": owner, "t": type_, "u": urgency, "sv": sign.value, "su": sign.unit, "hv": handle.value,
             "hu": handle.unit})
        new = PolicyRow(owner, type_, urgency, sign, handle)
        await record(session, Change(
            tenant=tenant_code, subject=ChangeSubject.time_limits, key=f"{type_}/{urgency}",
            action=ChangeAction.update if own is not None else ChangeAction.create, actor=actor.user,
            actor_name=actor.name, old=_described(before, codes[0]), new=_described(new, codes[0])))
        changed += 1
    if changed:
        await session.commit()
    else:
        await session.rollback()
    return changed


async def remove_limit(session: AsyncSession, tenant_code: str, type_: str, urgency: str, actor: Actor) -> None:
    """Remove a tenant's own limit for a type × urgency: the one set above it applies again. Commits."""
    if len(tenant_code) == 2:
        raise TimeLimitRequired(type_, urgency)
    await bump(session, CachedSetting.sla)
    codes = lineage(tenant_code)
    rows = await _lineage_rows(session, codes)
    own = next((r for r in rows if r.owner_tenant == tenant_code and r.type == type_ and r.urgency == urgency), None)
    if own is None:
        raise NotSetHere(f"time limit for {urgency.replace('_', ' ')} {type_} orders", tenant_code)
    await session.execute(text(
        "DELETE FROM public.sla_policies WHERE owner_tenant = :o AND type = :t AND urgency = :u"),
        {"o": tenant_code, "t": type_, "u": urgency})
    after = nearest_row([r for r in rows if r is not own], codes, type_, urgency)
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.time_limits, key=f"{type_}/{urgency}", action=ChangeAction.delete,
        actor=actor.user, actor_name=actor.name, old=_described(own, codes[0]), new=_described(after, codes[0])))
    await session.commit()


async def _rework_in_force(session: AsyncSession, codes: list[str]) -> tuple[int, str, bool]:
    """(working days, whose: a tenant code or "default", whether the last of ``codes`` set it itself)."""
    found = dict((await session.execute(text(
        "SELECT tenant_code, working_days FROM public.rework_limits WHERE tenant_code = ANY(:codes)"),
        {"codes": codes})).all())
    for code in reversed(codes):
        if code in found:
            return int(found[code]), code, code == codes[-1]
    return DEFAULT_REWORK_DAYS, "default", False


async def set_rework_limit(session: AsyncSession, tenant_code: str, working_days: int, actor: Actor) -> None:
    """Set the rework time limit (重办时限) of a tenant and its subtree, recorded. Commits."""
    await bump(session, CachedSetting.sla)
    codes = lineage(tenant_code)
    days, source, own = await _rework_in_force(session, codes)
    if own and days == working_days:
        await session.rollback()
        return
    await session.execute(text(
        "INSERT INTO public.rework_limits (tenant_code, working_days, updated_by) VALUES (:t, :d, :by) "
        "ON CONFLICT (tenant_code) DO UPDATE SET working_days = EXCLUDED.working_days, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant_code, "d": working_days, "by": actor.user})
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.rework_limit, key=tenant_code,
        action=ChangeAction.update if own else ChangeAction.create, actor=actor.user, actor_name=actor.name,
        old={"working_days": days, "from": source}, new={"working_days": working_days, "from": tenant_code}))
    await session.commit()


async def remove_rework_limit(session: AsyncSession, tenant_code: str, actor: Actor) -> None:
    """Remove a tenant's own rework limit: the nearest one above (or the default) applies again. Commits."""
    await bump(session, CachedSetting.sla)
    codes = lineage(tenant_code)
    days, _, own = await _rework_in_force(session, codes)
    if not own:
        raise NotSetHere("rework time limit", tenant_code)
    await session.execute(text("DELETE FROM public.rework_limits WHERE tenant_code = :t"), {"t": tenant_code})
    after, source, _ = await _rework_in_force(session, codes[:-1])
    await record(session, Change(
        tenant=tenant_code, subject=ChangeSubject.rework_limit, key=tenant_code, action=ChangeAction.delete,
        actor=actor.user, actor_name=actor.name, old={"working_days": days, "from": tenant_code},
        new={"working_days": after, "from": source}))
    await session.commit()
