"""Loading the policies and the calendar from the shared schema, cached briefly per process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.sla.calendar import WorkCalendar, calendar_from_rows
from core.sla.errors import CalendarForProvince, DaysOutsideYear
from core.sla.models import CalendarDay, CalendarYear, SlaPolicy
from core.sla.policy import Limit, PolicyRow

# Another process's change to policies or the calendar is seen within this many seconds.
TTL_S = 30.0


@dataclass(frozen=True)
class SlaRules:
    policies: tuple[PolicyRow, ...]
    calendar: WorkCalendar
    rework_limits: dict[str, int] = field(default_factory=dict)  # tenant → working days (core.sla.rework)


class SlaStore:
    def __init__(self) -> None:
        self._rules: SlaRules | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        self._rules = None

    async def rules(self, session: AsyncSession) -> SlaRules:
        if self._rules is None or time.monotonic() - self._loaded_at > TTL_S:
            self._rules = await load_rules(session)
            self._loaded_at = time.monotonic()
        return self._rules


async def load_rules(session: AsyncSession) -> SlaRules:
    policies = tuple(
        PolicyRow(p.owner_tenant, p.type, p.urgency, Limit(p.sign_value, p.sign_unit),
                  Limit(p.handle_value, p.handle_unit))
        for p in (await session.scalars(select(SlaPolicy))).all()
    )
    days = [(d.day, d.workday) for d in (await session.scalars(select(CalendarDay))).all()]
    years = [y.year for y in (await session.scalars(select(CalendarYear))).all()]
    limits = {code: int(days) for code, days in (await session.execute(
        text("SELECT tenant_code, working_days FROM public.rework_limits"))).all()}
    return SlaRules(policies, calendar_from_rows(days, years), limits)


async def enter_year(session: AsyncSession, year: int, days: list[tuple[date, bool, str | None]], *,
                     by_tenant: str) -> None:
    """Replace a year's schedule (holidays and make-up working days) with the State Council's: the province
    enters it (``by_tenant``), for the whole province, and every day must fall in that year."""
    if len(by_tenant) != 2:
        raise CalendarForProvince()
    wrong = [day.isoformat() for day, _, _ in days if day.year != year]
    if wrong:
        raise DaysOutsideYear(year, wrong)
    await session.execute(delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))))
    for day, workday, name in days:
        session.add(CalendarDay(day=day, workday=workday, name=name))
    if await session.get(CalendarYear, year) is None:
        session.add(CalendarYear(year=year))
    await session.commit()


async def year_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    """The days entered for a year, in date order."""
    return list((await session.scalars(select(CalendarDay).where(
        CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day))).all())


async def set_policies(session: AsyncSession, owner: str | None, limits: list[tuple[str, str, Limit, Limit]]) -> None:
    """Set (type, urgency, sign, handle) limits of a tenant and its subtree; ``owner`` None: the province's
    defaults."""
    for type_, urgency, sign, handle in limits:
        row = await session.scalar(select(SlaPolicy).where(
            SlaPolicy.owner_tenant.is_(None) if owner is None else SlaPolicy.owner_tenant == owner,
            SlaPolicy.type == type_, SlaPolicy.urgency == urgency))
        if row is None:
            row = SlaPolicy(owner_tenant=owner, type=type_, urgency=urgency)
            session.add(row)
        row.sign_value, row.sign_unit = sign.value, sign.unit
        row.handle_value, row.handle_unit = handle.value, handle.unit
    await session.commit()


async def set_rework_limit(session: AsyncSession, tenant_code: str, working_days: int, by: str) -> None:
    """Set the rework time limit (重办时限) of a tenant and its subtree."""
    await session.execute(text(
        "INSERT INTO public.rework_limits (tenant_code, working_days, updated_by) VALUES (:t, :d, :by) "
        "ON CONFLICT (tenant_code) DO UPDATE SET working_days = EXCLUDED.working_days, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant_code, "d": working_days, "by": by})
    await session.commit()
