"""Reading the read model: rankings (排名), statistics (统计) and alerts (the overview: ``core.assessment.overview``).

Every query here reads the shared read-model tables only; no tenant schema is scanned (the one
exception is the assessing tenant's own ``units`` table, for its departments' names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.indicators import INDICATORS, rates, score
from core.assessment.settings import AssessmentSettings, effective
from core.assessment.tally import month_bounds
from core.orders.facts import COUNTERS
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


STAT_DIMENSIONS = ("category", "major_category", "channel", "type", "area", "day")


async def statistics(session: AsyncSession, code: str, start: date, end: date, by: str,
                     filters: dict[str, str | None]) -> dict[str, Any]:
    """Requests taken (受理量) in the area of ``code``, counted by one dimension.

    ``area`` drills down the tree: it counts by the child division of ``code`` each request
    happened in (the city's districts, a district's towns); a request filed at ``code`` itself
    without a finer division counts as ``code``.
    """
    kids = await children(session, code)
    child_len = len(kids[0][0]) if kids else len(code)
    group = {"category": "category", "major_category": "substr(category, 1, 2)", "channel": "channel",
             "type": "type", "day": "to_char(day, 'YYYY-MM-DD')",
             "area": f"CASE WHEN length(division) >= {child_len} THEN substr(division, 1, {child_len}) "
                     "ELSE division END"}[by]
    where = ["division LIKE :prefix", "day >= :s", "day < :e"]
    params: dict[str, Any] = {"prefix": f"{code}%", "s": start, "e": end}
    for name in ("category", "channel", "type"):
        if filters.get(name):
            where.append(f"{name} LIKE :{name}" if name == "category" else f"{name} = :{name}")
            params[name] = f"{filters[name]}%" if name == "category" else filters[name]
    rows = await session.execute(text(
        f"SELECT {group} AS key, sum(n)::bigint FROM public.stats_day WHERE {' AND '.join(where)} "
        "GROUP BY 1 ORDER BY 2 DESC, 1"), params)
    names = dict(kids)
    items = [{"key": k, "name": names.get(k), "count": int(n)} if by == "area" else {"key": k, "count": int(n)}
             for k, n in rows.all()]
    return {"tenant": code, "from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat(), "by": by,
            "total": sum(i["count"] for i in items), "items": items}


async def alerts(session: AsyncSession, code: str, open_only: bool) -> list[dict[str, Any]]:
    """Hot-spot alerts raised to ``code`` or to any level below it, newest first."""
    rows = await session.execute(text(
        "SELECT id, kind, key, tenant_code, category, area, count, baseline, detail, opened_at, last_seen_at, "
        "closed_at FROM public.hotspot_alerts WHERE tenant_code LIKE :p "
        + ("AND closed_at IS NULL " if open_only else "") + "ORDER BY opened_at DESC, id DESC LIMIT 500"),
        {"p": f"{code}%"})
    return [dict(r._mapping) for r in rows.all()]
