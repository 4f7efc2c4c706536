"""The working-day calendar (工作日历): China's official holidays and make-up working days (调休).

Sources, most specific first:
1. days a province admin entered (``public.calendar_days``): the State Council's schedule for
   a year the package does not know yet, or a correction;
2. the ``chinese-calendar`` package (it knows 2004–2026 in version 1.11);
3. otherwise weekends alone — and every result computed from such a day is flagged
   ``estimated``, never an error.

Time limits in working days count whole working days in China Standard Time: a day that is
not a working day does not run the clock at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from infra.times import PROVINCE_ZONE

CST = PROVINCE_ZONE  # working days are China time
DAY = 86400


@lru_cache(maxsize=64)
def package_knows(year: int) -> bool:
    """Whether the chinese-calendar package knows the holidays of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _package_workday(day: date) -> bool:
    # The package validates its input on every call, which shows in profiles of intake.
    return chinese_calendar.is_workday(day)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days. Immutable: build a new one when the admin's entries change."""

    entered: Mapping[date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def is_workday(self, day: date) -> bool:
        return self.lookup(day)[0]

    def lookup(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that known rather than estimated from weekends)."""
        if day in self.entered:
            return self.entered[day], True
        if day.year in self.entered_years:
            return day.weekday() < 5, True
        if package_knows(day.year):
            return _package_workday(day), True
        return day.weekday() < 5, False

    def add_working_seconds(self, start: datetime, seconds: float) -> tuple[datetime, bool]:
        """The moment ``seconds`` of working time after ``start``; and whether it is estimated."""
        local = start.astimezone(CST)
        day = local.date()
        offset = (local - datetime.combine(day, time(), CST)).total_seconds()
        estimated = False
        remaining = float(seconds)
        while True:
            workday, known = self.lookup(day)
            estimated = estimated or not known
            if workday:
                available = DAY - offset
                if remaining <= available:
                    return datetime.combine(day, time(), CST) + timedelta(seconds=offset + remaining), estimated
                remaining -= available
            offset = 0.0
            day += timedelta(days=1)

    def add_working_days(self, start: datetime, days: int) -> tuple[datetime, bool]:
        return self.add_working_seconds(start, days * DAY)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_seconds_between(end, start)
        a, b = start.astimezone(CST), end.astimezone(CST)
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                lo = max(a, datetime.combine(day, time(), CST))
                hi = min(b, datetime.combine(day + timedelta(days=1), time(), CST))
                total += max(0.0, (hi - lo).total_seconds())
            day += timedelta(days=1)
        return total


def calendar_from_rows(days: Iterable[tuple[date, bool]], years: Iterable[int]) -> WorkCalendar:
    return WorkCalendar(dict(days), frozenset(years))
