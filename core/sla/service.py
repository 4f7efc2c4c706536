"""Loading the policies and the calendar from the shared schema, cached briefly per process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.sla.calendar import WorkCalendar, calendar_from_rows
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


async def enter_year(session: AsyncSession, year: int, days: list[tuple[date, bool, str | None]]) -> None:
    """Replace a year's schedule (holidays and make-up working days) with the State Council's."""
    await session.execute(delete(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))))
    for day, workday, name in days:
        session.add(CalendarDay(day=day, workday=workday, name=name))
    if await session.get(CalendarYear, year) is None:
        session.add(CalendarYear(year=year))
    await session.commit()
