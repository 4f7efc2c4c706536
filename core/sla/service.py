"""Loading the policies and the calendar from the shared schema, cached per process (writing them:
``limit_settings``, ``calendar_settings``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.sla.calendar import WorkCalendar, calendar_from_rows
from core.sla.models import CalendarDay, CalendarYear, SlaPolicy
from core.sla.policy import Limit, PolicyRow
from infra.settings_versions import CHECK_EVERY_S, CachedSetting, VersionWatch

# Reloaded at least this often; another process's change is seen sooner, within about a second, by the settings'
# counter (infra/settings_versions.py) that every change of time limits, the rework limit or the calendar raises.
TTL_S = 300.0


@dataclass(frozen=True)
class SlaRules:
    policies: tuple[PolicyRow, ...]
    calendar: WorkCalendar
    rework_limits: dict[str, int] = field(default_factory=dict)  # tenant → working days (core.sla.rework)


class SlaStore:
    """The process's time limits and calendar, replaced when any process changed them (or after TTL_S)."""

    def __init__(self, check_every_s: float = CHECK_EVERY_S) -> None:
        self._rules: SlaRules | None = None
        self._loaded_at = 0.0
        self._watch = VersionWatch(CachedSetting.sla, check_every_s)

    def invalidate(self) -> None:
        """This process changed them: load them again on the next use."""
        self._rules = None
        self._watch.forget()

    async def rules(self, session: AsyncSession) -> SlaRules:
        moved = await self._watch.moved(session)
        if self._rules is None or moved or time.monotonic() - self._loaded_at > TTL_S:
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
