"""The province's holiday calendar of coming years (节假日安排): where each year's working days come from, importing
a year the chinese-calendar package knows, and entering (or correcting) the State Council's schedule of a year it
does not know.

A year is, in order of precedence (``core.sla.calendar.WorkCalendar``):
- ``imported`` or ``entered``: its days are in ``public.calendar_days`` (a row in ``calendar_years`` says so);
- ``chinese_calendar``: the package knows it;
- ``estimated``: weekends alone, and every deadline computed across it is flagged.

Only the province's admin writes it (one schedule for the whole province). Every write raises the ``sla``
settings counter (every process computes deadlines on the new calendar within about a second) and is recorded in
the history of administration with the year's schedule before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import chinese_calendar
from chinese_calendar.constants import Holiday
from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.sla.calendar import package_knows
from core.sla.errors import (
    CalendarForProvince,
    DaysOutsideYear,
    ScheduleWithoutHolidays,
    YearNotStored,
    YearUnknownToPackage,
)
from core.sla.models import CalendarDay, CalendarYear
from core.sla.schemas import CalendarDayIn, CalendarSource
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.refusals import InvalidField
from infra.settings_versions import CachedSetting, bump

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The package names its holidays in English; the schedule a centre reads names them in Chinese.
_CHINESE = {h.value: h.chinese for h in Holiday}


@dataclass(frozen=True)
class YearView:
    year: int
    source: CalendarSource
    package_knows: bool
    days: list[CalendarDayIn]
    entered_at: datetime | None = None
    entered_by: str | None = None


def package_days(year: int) -> list[CalendarDayIn]:
    """The package's schedule of ``year``: its holidays (weekend days inside a holiday included) and its make-up
    working days, by date; empty for a year it does not know."""
    if not package_knows(year):
        return []
    days = [CalendarDayIn(date=d, workday=False, name=_CHINESE.get(n, n))
            for d, n in chinese_calendar.holidays.items() if d.year == year]
    days += [CalendarDayIn(date=d, workday=True, name=_CHINESE.get(n, n))
             for d, n in chinese_calendar.workdays.items() if d.year == year and d.weekday() >= 5]
    return sorted(days, key=lambda d: d.date)


def check_schedule(year: int, days: Sequence[CalendarDayIn]) -> None:
    """Refuse a malformed schedule, naming the first bad day as ``days.<index>.<field>``."""
    wrong = [d.date.isoformat() for d in days if d.date.year != year]
    if wrong:
        raise DaysOutsideYear(year, wrong)
    if not days:
        raise ScheduleWithoutHolidays(year)
    seen: dict[date, int] = {}
    for i, day in enumerate(days):
        if day.date in seen:
            raise InvalidField(f"days.{i}.date",
                               f"{day.date.isoformat()} is listed twice (also as day {seen[day.date]})")
        seen[day.date] = i
        if day.workday and day.date.weekday() < 5:
            raise InvalidField(f"days.{i}.workday", f"{day.date.isoformat()} is a {WEEKDAYS[day.date.weekday()]}, a "
                                                    "working day anyway: a make-up working day (调休上班) is a "
                                                    "Saturday or a Sunday")
        if day.name is not None and not day.name.strip():
            raise InvalidField(f"days.{i}.name", "a day's name is its holiday's (元旦, 春节 …), or none")


def _in_year(year: int) -> ColumnElement[bool]:
    return CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))


def unstored_view(year: int) -> YearView:
    """A year nobody stored: the package's schedule, or weekends alone."""
    if package_knows(year):
        return YearView(year, CalendarSource.chinese_calendar, True, package_days(year))
    return YearView(year, CalendarSource.estimated, False, [])


async def year_view(session: AsyncSession, year: int) -> YearView:
    """Where ``year``'s working days come from and its schedule (columns read, no objects kept in the session)."""
    stored = (await session.execute(select(CalendarYear.source, CalendarYear.entered_at, CalendarYear.entered_by)
                                    .where(CalendarYear.year == year))).first()
    if stored is None:
        return unstored_view(year)
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.name)
                                  .where(_in_year(year)).order_by(CalendarDay.day))).all()
    return YearView(year, CalendarSource(stored.source), package_knows(year),
                    [CalendarDayIn(date=r.day, workday=r.workday, name=r.name) for r in rows],
                    stored.entered_at, stored.entered_by)


def _as_record(view: YearView) -> dict[str, object]:
    """A year's schedule as the history keeps it."""
    return {"source": view.source.value,
            "days": [{"date": d.date.isoformat(), "workday": d.workday, "name": d.name} for d in view.days]}


def _province_only(actor: Actor) -> None:
    if len(actor.tenant) != 2:
        raise CalendarForProvince()


async def _store(session: AsyncSession, year: int, days: Sequence[CalendarDayIn], source: CalendarSource,
                 actor: Actor) -> YearView:
    """Replace the year's stored schedule (lock first: the counter serializes writers), recorded. Commits."""
    await bump(session, CachedSetting.sla)
    before = await year_view(session, year)
    await session.execute(delete(CalendarDay).where(_in_year(year)))
    if days:
        await session.execute(insert(CalendarDay), [
            {"day": d.date, "workday": d.workday, "name": d.name.strip() if d.name else None} for d in days])
    await session.execute(pg_insert(CalendarYear).values(
        year=year, source=source.value, entered_by=actor.name or actor.user).on_conflict_do_update(
        index_elements=[CalendarYear.year],
        set_={"source": source.value, "entered_by": actor.name or actor.user, "entered_at": func.now()}))
    after = await year_view(session, year)
    await record(session, Change(
        tenant=actor.tenant, subject=ChangeSubject.calendar, key=str(year),
        action=ChangeAction.update if before.source in (CalendarSource.entered, CalendarSource.imported)
        else ChangeAction.create, actor=actor.user, actor_name=actor.name, old=_as_record(before),
        new=_as_record(after)))
    await session.commit()
    return after


async def enter_year(session: AsyncSession, year: int, days: Sequence[CalendarDayIn], actor: Actor) -> YearView:
    """The province's admin enters (or corrects) the State Council's schedule of a year: its holidays and make-up
    working days, replacing what was stored for it."""
    _province_only(actor)
    check_schedule(year, days)
    return await _store(session, year, days, CalendarSource.entered, actor)


async def import_year(session: AsyncSession, year: int, actor: Actor) -> YearView:
    """Copy the package's schedule of a year it knows into the province's calendar (editable from then on)."""
    _province_only(actor)
    if not package_knows(year):
        raise YearUnknownToPackage(year)
    return await _store(session, year, package_days(year), CalendarSource.imported, actor)


async def clear_year(session: AsyncSession, year: int, actor: Actor) -> YearView:
    """Remove what was stored for a year: the package's schedule applies again, or weekends alone (estimated)."""
    _province_only(actor)
    await bump(session, CachedSetting.sla)
    before = await year_view(session, year)
    if before.source not in (CalendarSource.entered, CalendarSource.imported):
        raise YearNotStored(year)
    await session.execute(delete(CalendarDay).where(_in_year(year)))
    await session.execute(delete(CalendarYear).where(CalendarYear.year == year))
    after = unstored_view(year)
    await record(session, Change(
        tenant=actor.tenant, subject=ChangeSubject.calendar, key=str(year), action=ChangeAction.delete,
        actor=actor.user, actor_name=actor.name, old=_as_record(before), new=_as_record(after)))
    await session.commit()
    return after
