"""Reading the read model: rankings (排名) and the live overview (实时总览); statistics (统计) are in
``core.assessment.statistics``, hot-spot alerts (热点预警) in ``core.assessment.alerts``.

Every query here reads the shared read-model tables only; no tenant schema is scanned (the one
exception is the assessing tenant's own ``units`` table, for its departments' names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.indicators import INDICATORS, rates, score
from core.assessment.settings import AssessmentSettings, effective
from core.assessment.tally import hour_of, month_bounds, nodes_for
from core.orders.facts import COUNTERS
from core.sla.calendar import CST, WorkCalendar
from tenants.codes import validate_code

_SUMS = ", ".join(f"sum({c})::bigint AS {c}" for c in COUNTERS)


@dataclass
class Subject:
    kind: str  # tenant | unit
    id: str
    name: str
    counts: dict[str, int]


def period_days(period: str) -> tuple[date, date]:
    """A month (``2026-10``) or a day range (``2026-10-01..2026-10-15``), end exclusive."""
    if ".." in period:
        start_s, end_s = period.split("..", 1)
        start, end = date.fromisoformat(start_s), date.fromisoformat(end_s)
        if end < start:
            raise ValueError("the period ends before it starts")
        return start, end + timedelta(days=1)
    return month_bounds(period)


async def children(session: AsyncSession, code: str) -> list[tuple[str, str]]:
    rows = await session.execute(text(
        "SELECT code, name FROM public.tenants WHERE parent_code = :c AND status = 'active' ORDER BY code"),
        {"c": code})
    return [(c, n) for c, n in rows.all()]


async def _node_counts(session: AsyncSession, nodes: list[str], start: date, end: date) -> dict[str, dict[str, int]]:
    rows = await session.execute(text(
        f"SELECT node, {_SUMS} FROM public.assess_node_day WHERE node = ANY(:nodes) AND day >= :s AND day < :e "
        "GROUP BY node"), {"nodes": nodes, "s": start, "e": end})
    return {r[0]: dict(zip(COUNTERS, (int(v or 0) for v in r[1:]), strict=True)) for r in rows.all()}


async def _unit_counts(session: AsyncSession, code: str, start: date, end: date) -> dict[int, dict[str, int]]:
    rows = await session.execute(text(
        f"SELECT unit_id, {_SUMS} FROM public.assess_unit_day WHERE tenant_code = :t AND day >= :s AND day < :e "
        "GROUP BY unit_id"), {"t": code, "s": start, "e": end})
    return {int(r[0]): dict(zip(COUNTERS, (int(v or 0) for v in r[1:]), strict=True)) for r in rows.all()}


async def _unit_names(session: AsyncSession, code: str) -> dict[int, tuple[str, bool]]:
    rows = await session.execute(text(
        f'SELECT id, name, active FROM "t_{validate_code(code)}".units ORDER BY id'))
    return {int(i): (n, bool(a)) for i, n, a in rows.all()}


def _row(subject: Subject, settings: AssessmentSettings, max_score: float) -> dict[str, Any]:
    values = rates(subject.counts, settings.definitions())
    return {"kind": subject.kind, "id": subject.id, "name": subject.name,
            "score": score(values, settings.weights, max_score), "indicators": values,
            "counts": subject.counts}


def _ranked(rows: list[dict[str, Any]], list_size: int) -> dict[str, Any]:
    # Unscored units (nothing to assess this period) come last, by name; ties share a rank.
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["id"]))
    rank, previous = 0, object()
    for position, row in enumerate(rows, start=1):
        if row["score"] != previous:
            rank, previous = position, row["score"]
        row["rank"] = rank if row["score"] is not None else None
    scored = [r for r in rows if r["score"] is not None]
    size = min(list_size, len(scored) // 2) if len(scored) > 1 else 0
    return {"ranking": rows,
            "red_list": [r["id"] for r in scored[:size]],  # 红榜
            "black_list": [r["id"] for r in scored[::-1][:size]]}  # 黑榜


async def descendants_at(session: AsyncSession, code: str, level: str) -> list[tuple[str, str]]:
    rows = await session.execute(text(
        "SELECT code, name FROM public.tenants WHERE code LIKE :p AND code <> :c AND level = :l "
        "AND status = 'active' ORDER BY code"), {"p": f"{code}%", "c": code, "l": level})
    return [(c, n) for c, n in rows.all()]


async def ranking(session: AsyncSession, code: str, period: str, level: str | None = None) -> dict[str, Any]:
    """The units ``code`` assesses, ranked within their groups for the period.

    The tenants group is its child tenants, or with ``level`` every tenant of that level below it
    (a city ranking all its towns).
    """
    start, end = period_days(period)
    settings, source = await effective(session, code)
    kids = await descendants_at(session, code, level) if level else await children(session, code)
    node_counts = await _node_counts(session, [code] + [c for c, _ in kids], start, end)
    empty = dict.fromkeys(COUNTERS, 0)
    tenant_rows = [_row(Subject("tenant", c, n, node_counts.get(c, empty)), settings,
                        settings.groups["tenants"].max_score) for c, n in kids]
    unit_counts = await _unit_counts(session, code, start, end)
    names = await _unit_names(session, code)
    unit_rows = []
    for unit_id, (name, active) in names.items():
        counts = unit_counts.get(unit_id)
        if counts is None and not active:
            continue
        counts = dict(counts or empty)
        counts["received"] = counts["assigned"]  # a department's share of the work: what it was given
        unit_rows.append(_row(Subject("unit", str(unit_id), name, counts), settings,
                              settings.groups["departments"].max_score))
    total = node_counts.get(code, empty)
    return {
        "tenant": code, "period": period, "from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat(),
        "settings_from": source or "defaults",
        "weights": settings.weights, "basic_satisfaction_factor": settings.basic_satisfaction_factor,
        "exclude_from_base": settings.exclude_from_base, "on_time_basis": settings.on_time_basis,
        "indicators": {k: {"name": i.name, "higher_is_better": i.higher_is_better} for k, i in INDICATORS.items()},
        "total": {"counts": total, "indicators": rates(total, settings.definitions())},
        "groups": [
            {"group": "tenants", "name": settings.groups["tenants"].name,
             "max_score": settings.groups["tenants"].max_score, **_ranked(tenant_rows, settings.list_size)},
            {"group": "departments", "name": settings.groups["departments"].name,
             "max_score": settings.groups["departments"].max_score, **_ranked(unit_rows, settings.list_size)},
        ],
    }


async def overview(session: AsyncSession, code: str, calendar: WorkCalendar, now: datetime) -> dict[str, Any]:
    """实时总览: per child tenant, today's intake and the open, yellow, red (overdue now) and urged orders."""
    kids = await children(session, code)
    nodes = [code] + [c for c, _ in kids]
    today = now.astimezone(CST).date()
    rows = await session.execute(text(
        "SELECT node, coalesce(sum(received) FILTER (WHERE day = :today), 0), sum(overdue) "
        "FROM public.assess_node_day WHERE node = ANY(:nodes) AND day >= :first AND day <= :today GROUP BY node"),
        {"nodes": nodes, "today": today, "first": today.replace(day=1)})
    counted = {node: (int(intake), int(overdue)) for node, intake, overdue in rows.all()}
    live = await _open_counts(session, code, nodes, calendar, now)

    def entry(c: str, name: str) -> dict[str, Any]:
        intake, overdue = counted.get(c, (0, 0))
        return {"code": c, "name": name, "intake_today": intake, **live[c], "overdue_this_month": overdue}

    return {
        "tenant": code, "at": now.isoformat(), "total": entry(code, ""),
        "children": [entry(c, n) for c, n in kids],
        "open_alerts": int(await session.scalar(text(
            "SELECT count(*) FROM public.hotspot_alerts WHERE closed_at IS NULL AND tenant_code LIKE :p"),
            {"p": f"{code}%"}) or 0),
    }


async def _open_counts(session: AsyncSession, code: str, nodes: list[str], calendar: WorkCalendar,
                       now: datetime) -> dict[str, dict[str, int]]:
    """Open, red, yellow and urged records per node: whole deadline hours from ``assess_open_node``, the
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
