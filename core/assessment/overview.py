"""The overview (实时总览) read from the read model: a subtree's, each child level's and each unit's numbers, and
the daily trend.

Live numbers (open, yellow, red, urged) come from ``assess_open_node`` per subtree — whole deadline hours, the
current hour and the yellow limit's counted record by record from ``assess_records`` — and from the tenant's open
``assess_records`` per unit. The period's numbers are sums of ``assess_node_day`` (a subtree) and
``assess_unit_day`` (a unit). No tenant schema is scanned; the one read of a tenant's own table is its ``units``
(their names), as the ranking does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.indicators import Definitions, rates
from core.assessment.overview_schemas import (
    Overview,
    TenantName,
    TenantTile,
    Trend,
    TrendDay,
    UnitOverview,
    UnitTile,
)
from core.assessment.service import children, period_days
from core.assessment.settings import effective
from core.assessment.tally import hour_of, nodes_for
from core.sla.calendar import CST, WorkCalendar
from core.units.errors import UnitNotFound
from tenants.codes import LEVEL_BY_LENGTH, lineage, validate_code

# The period's counters a tile shows, and what its satisfaction rate needs.
PERIOD_COUNTERS = ("escalated", "overdue", "closed", "rated", "satisfied", "basically_satisfied")
TREND_DAYS = 30


def default_period(now: datetime) -> str:
    """This month (China time), e.g. ``2026-12``."""
    return now.astimezone(CST).strftime("%Y-%m")


def _sums(intake: str) -> str:
    """Sums of the period's counters and of today's intake (``intake``: the counter a tile's intake is)."""
    period = ", ".join(f"coalesce(sum({c}) FILTER (WHERE day >= :s AND day < :e), 0)::bigint" for c in PERIOD_COUNTERS)
    return f"coalesce(sum({intake}) FILTER (WHERE day = :today), 0)::bigint, {period}"


def _numbers(row: Any, live: dict[str, int], definitions: Definitions) -> dict[str, Any]:
    """A tile's numbers from a row of ``_sums`` (without its key) and its live counts."""
    values = [int(v or 0) for v in row] if row is not None else [0] * (1 + len(PERIOD_COUNTERS))
    counted = dict(zip(PERIOD_COUNTERS, values[1:], strict=True))
    return {"intake_today": values[0], **live,
            "escalated": counted["escalated"], "overdue": counted["overdue"], "closed": counted["closed"],
            "rated": counted["rated"], "satisfaction_rate": rates(counted, definitions)["satisfaction_rate"]}


async def _names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    rows = await session.execute(text("SELECT code, name FROM public.tenants WHERE code = ANY(:c)"), {"c": codes})
    return {c: n for c, n in rows.all()}


def _tenant(code: str, names: dict[str, str]) -> TenantName:
    return TenantName(code=code, name=names.get(code, code), level=LEVEL_BY_LENGTH[len(code)])


async def _where(session: AsyncSession, code: str) -> tuple[TenantName, list[TenantName]]:
    """The tenant and the tenants above it (the breadcrumb's names)."""
    codes = lineage(code)
    names = await _names(session, codes)
    return _tenant(code, names), [_tenant(c, names) for c in codes[:-1]]


async def open_by_node(session: AsyncSession, code: str, nodes: list[str], calendar: WorkCalendar,
                       now: datetime) -> dict[str, dict[str, int]]:
    """Open, red, yellow and urged records per subtree node: whole deadline hours from ``assess_open_node``, the
    hours that ``now`` and the yellow limit fall in record by record."""
    yellow_until, _ = calendar.add_working_days(now, 1)
    hour, yellow_hour = hour_of(now.astimezone(UTC)), hour_of(yellow_until.astimezone(UTC))
    rows = await session.execute(text(
        "SELECT node, sum(open), sum(urged), sum(open) FILTER (WHERE deadline_hour < :h), "
        "sum(open) FILTER (WHERE deadline_hour > :h AND deadline_hour < :y) "
        "FROM public.assess_open_node WHERE node = ANY(:nodes) GROUP BY node"),
        {"nodes": nodes, "h": hour, "y": yellow_hour})
    counts = {n: {"open": 0, "red": 0, "yellow": 0, "urged": 0} for n in nodes}
    for node, open_, urged, red, yellow in rows.all():
        counts[node].update(open=int(open_ or 0), urged=int(urged or 0), red=int(red or 0), yellow=int(yellow or 0))
    edges = await session.execute(text(
        "SELECT tenant_code, origin_len, deadline FROM public.assess_records WHERE is_open "
        "AND ((deadline >= :h AND deadline < :h1) OR (deadline >= :y AND deadline < :y1)) AND tenant_code LIKE :p"),
        {"h": hour, "h1": hour + timedelta(hours=1), "y": max(yellow_hour, hour + timedelta(hours=1)),
         "y1": yellow_hour + timedelta(hours=1), "p": f"{code}%"})
    wanted = set(nodes)
    for tenant, origin_len, deadline in edges.all():
        light = "red" if deadline < now else "yellow" if deadline <= yellow_until else None
        if light:
            for node in wanted.intersection(nodes_for(tenant, origin_len)):
                counts[node][light] += 1
    return counts


async def open_by_unit(session: AsyncSession, code: str, calendar: WorkCalendar,
                       now: datetime) -> dict[int | None, dict[str, int]]:
    """Open, red, yellow and urged records of the tenant per unit leading them (None: its centre), counted from
    the tenant's open records (one index range: a tenant's open records, not its orders)."""
    yellow_until, _ = calendar.add_working_days(now, 1)
    rows = await session.execute(text(
        "SELECT unit_id, count(*), count(*) FILTER (WHERE urged), count(*) FILTER (WHERE deadline < :now), "
        "count(*) FILTER (WHERE deadline >= :now AND deadline <= :y) "
        "FROM public.assess_records WHERE tenant_code = :t AND is_open GROUP BY unit_id"),
        {"t": code, "now": now, "y": yellow_until})
    return {None if u is None else int(u): {"open": int(o), "urged": int(g), "red": int(r), "yellow": int(y)}
            for u, o, g, r, y in rows.all()}


async def _units(session: AsyncSession, code: str) -> list[tuple[int, str, str, bool]]:
    rows = await session.execute(text(
        f'SELECT id, name, kind, active FROM "t_{validate_code(code)}".units ORDER BY id'))
    return [(int(i), n, k, bool(a)) for i, n, k, a in rows.all()]


def _bounds(period: str, now: datetime) -> tuple[date, date, date]:
    start, end = period_days(period)
    return start, end, now.astimezone(CST).date()


async def overview(session: AsyncSession, code: str, calendar: WorkCalendar, now: datetime,
                   period: str | None = None) -> Overview:
    """实时总览 of ``code``: its subtree's numbers, one tile per child level's subtree and per unit of its own, for
    the period (default: this month; a bad period raises ``ValueError``)."""
    period = period or default_period(now)
    start, end, today = _bounds(period, now)
    settings, _ = await effective(session, code)
    factor = settings.definitions()
    kids = await children(session, code)
    nodes = [code] + [c for c, _ in kids]
    params = {"s": start, "e": end, "today": today}
    node_rows = await session.execute(text(
        f"SELECT node, {_sums('received')} FROM public.assess_node_day WHERE node = ANY(:nodes) "
        "AND ((day >= :s AND day < :e) OR day = :today) GROUP BY node"), {"nodes": nodes, **params})
    counted = {r[0]: r[1:] for r in node_rows.all()}
    live = await open_by_node(session, code, nodes, calendar, now)
    unit_rows = await session.execute(text(
        f"SELECT unit_id, {_sums('assigned')} FROM public.assess_unit_day WHERE tenant_code = :t "
        "AND ((day >= :s AND day < :e) OR day = :today) GROUP BY unit_id"), {"t": code, **params})
    unit_counted = {int(r[0]): r[1:] for r in unit_rows.all()}
    unit_live = await open_by_unit(session, code, calendar, now)
    idle = {"open": 0, "red": 0, "yellow": 0, "urged": 0}
    units = [UnitTile(id=i, name=n, kind=k, active=a,
                      **_numbers(unit_counted.get(i), unit_live.get(i, idle), factor))
             for i, n, k, a in await _units(session, code) if a or i in unit_counted or i in unit_live]
    tenant, above = await _where(session, code)
    alerts = await session.scalar(text(
        "SELECT count(*) FROM public.hotspot_alerts WHERE closed_at IS NULL AND tenant_code LIKE :p"),
        {"p": f"{code}%"})
    return Overview(
        at=now, period=period, from_=start, to=end - timedelta(days=1), tenant=tenant, lineage=above,
        total=TenantTile(code=code, name=tenant.name, level=tenant.level,
                         **_numbers(counted.get(code), live[code], factor)),
        children=[TenantTile(code=c, name=n, level=LEVEL_BY_LENGTH[len(c)],
                             **_numbers(counted.get(c), live[c], factor)) for c, n in kids],
        units=units, open_alerts=int(alerts or 0))


async def unit_overview(session: AsyncSession, code: str, unit_id: int, calendar: WorkCalendar, now: datetime,
                        period: str | None = None) -> UnitOverview:
    """One unit's overview: what it was given today, holds now, and did with the period's records."""
    period = period or default_period(now)
    start, end, today = _bounds(period, now)
    found = next((u for u in await _units(session, code) if u[0] == unit_id), None)
    if found is None:
        raise UnitNotFound(unit_id, code)
    settings, _ = await effective(session, code)
    row = (await session.execute(text(
        f"SELECT {_sums('assigned')} FROM public.assess_unit_day WHERE tenant_code = :t AND unit_id = :u "
        "AND ((day >= :s AND day < :e) OR day = :today)"),
        {"t": code, "u": unit_id, "s": start, "e": end, "today": today})).one()
    live = (await open_by_unit(session, code, calendar, now)).get(unit_id) or {"open": 0, "red": 0, "yellow": 0,
                                                                              "urged": 0}
    tenant, above = await _where(session, code)
    i, name, kind, active = found
    return UnitOverview(at=now, period=period, from_=start, to=end - timedelta(days=1), tenant=tenant,
                        lineage=above, unit=UnitTile(id=i, name=name, kind=kind, active=active,
                                                     **_numbers(row, live, settings.definitions())))


async def trend(session: AsyncSession, code: str, last: date, days: int = TREND_DAYS,
                unit_id: int | None = None) -> Trend:
    """Intake, closed and overdue per day for the ``days`` days up to ``last``: of ``code``'s subtree, or of one of
    its units (intake: the dispatches it was given)."""
    first = last - timedelta(days=days - 1)
    params: dict[str, Any] = {"s": first, "e": last + timedelta(days=1)}
    if unit_id is None:
        sql = ("SELECT day, sum(received), sum(closed), sum(overdue) FROM public.assess_node_day "
               "WHERE node = :t AND day >= :s AND day < :e GROUP BY day")
    else:
        if not any(u[0] == unit_id for u in await _units(session, code)):
            raise UnitNotFound(unit_id, code)
        sql = ("SELECT day, sum(assigned), sum(closed), sum(overdue) FROM public.assess_unit_day "
               "WHERE tenant_code = :t AND unit_id = :u AND day >= :s AND day < :e GROUP BY day")
        params["u"] = unit_id
    rows = {d: (int(i or 0), int(c or 0), int(o or 0))
            for d, i, c, o in (await session.execute(text(sql), {"t": code, **params})).all()}
    series = []
    for n in range(days):
        day = first + timedelta(days=n)
        intake, closed, overdue = rows.get(day, (0, 0, 0))
        series.append(TrendDay(day=day, intake=intake, closed=closed, overdue=overdue))
    return Trend(tenant=code, unit=unit_id, from_=first, to=last, days=series)
