"""Reading the read model: rankings (排名); the overview (实时总览) is in ``core.assessment.overview``, statistics
(统计) in ``core.assessment.statistics``, hot-spot alerts (热点预警) in ``core.assessment.alerts``.

Every query here reads the shared read-model tables only; no tenant schema is scanned (the one
exception is the assessing tenant's own ``units`` table, for its departments' names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment import movement
from core.assessment.indicators import INDICATORS, breakdown, describe, rates, score
from core.assessment.movement import previous_period
from core.assessment.ranking_schemas import Board
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
    definitions = settings.definitions()
    values = rates(subject.counts, definitions)
    parts = [{"indicator": p.key, "value": p.value, "weight": p.weight, "points": p.points, "earned": p.earned,
              "lost": p.lost, "numerator": INDICATORS[p.key].numerator(subject.counts, definitions),
              "denominator": INDICATORS[p.key].denominator(subject.counts, definitions)}
             for p in breakdown(values, settings.weights, max_score)]
    return {"kind": subject.kind, "id": subject.id, "name": subject.name,
            "score": score(values, settings.weights, max_score), "indicators": values,
            "counts": subject.counts, "breakdown": parts}


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
    red, black = [r["id"] for r in scored[:size]], [r["id"] for r in scored[::-1][:size]]
    for row in rows:
        row["board"] = Board.red if row["id"] in red else Board.black if row["id"] in black else None
    return {"ranking": rows,
            "red_list": red,  # 红榜
            "black_list": black}  # 黑榜


async def descendants_at(session: AsyncSession, code: str, level: str) -> list[tuple[str, str]]:
    rows = await session.execute(text(
        "SELECT code, name FROM public.tenants WHERE code LIKE :p AND code <> :c AND level = :l "
        "AND status = 'active' ORDER BY code"), {"p": f"{code}%", "c": code, "l": level})
    return [(c, n) for c, n in rows.all()]


async def _groups(session: AsyncSession, code: str, kids: list[tuple[str, str]], names: dict[int, tuple[str, bool]],
                  settings: AssessmentSettings, start: date, end: date,
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """The rows of both groups ranked for the days ``start`` to ``end`` (exclusive), and the subtree's total."""
    node_counts = await _node_counts(session, [code] + [c for c, _ in kids], start, end)
    empty = dict.fromkeys(COUNTERS, 0)
    tenant_rows = [_row(Subject("tenant", c, n, node_counts.get(c, empty)), settings,
                        settings.groups["tenants"].max_score) for c, n in kids]
    unit_counts = await _unit_counts(session, code, start, end)
    unit_rows = []
    for unit_id, (name, active) in names.items():
        counts = unit_counts.get(unit_id)
        if counts is None and not active:
            continue
        counts = dict(counts or empty)
        counts["received"] = counts["assigned"]  # a department's share of the work: what it was given
        unit_rows.append(_row(Subject("unit", str(unit_id), name, counts), settings,
                              settings.groups["departments"].max_score))
    return tenant_rows, unit_rows, node_counts.get(code, empty)


async def ranking(session: AsyncSession, code: str, period: str, level: str | None = None) -> dict[str, Any]:
    """The units ``code`` assesses, ranked within their groups for the period, each with its score broken down
    indicator by indicator and its movement against the period before (ranked in the same request, from the
    same read model).

    The tenants group is its child tenants, or with ``level`` every tenant of that level below it
    (a city ranking all its towns).
    """
    start, end = period_days(period)
    before, before_start, before_end = previous_period(period, start, end)
    settings, source = await effective(session, code)
    kids = await descendants_at(session, code, level) if level else await children(session, code)
    names = await _unit_names(session, code)
    tenant_rows, unit_rows, total = await _groups(session, code, kids, names, settings, start, end)
    old_tenants, old_units, _ = await _groups(session, code, kids, names, settings, before_start, before_end)
    groups = []
    for key, rows, old_rows in (("tenants", tenant_rows, old_tenants), ("departments", unit_rows, old_units)):
        ranked = _ranked(rows, settings.list_size)
        _ranked(old_rows, settings.list_size)
        movement.apply(rows, old_rows)
        groups.append({"group": key, "name": settings.groups[key].name, "max_score": settings.groups[key].max_score,
                       **ranked})
    definitions = settings.definitions()
    described = {key: describe(indicator, definitions) for key, indicator in INDICATORS.items()}
    return {
        "tenant": code, "tenant_name": await _tenant_name(session, code), "period": period,
        "from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat(),
        "previous_period": before, "previous_from": before_start.isoformat(),
        "previous_to": (before_end - timedelta(days=1)).isoformat(), "level": level,
        "settings_from": source or "defaults",
        "weights": settings.weights, "basic_satisfaction_factor": settings.basic_satisfaction_factor,
        "exclude_from_base": settings.exclude_from_base, "on_time_basis": settings.on_time_basis,
        "indicators": {k: {"name": i.name, "higher_is_better": i.higher_is_better, "definition": described[k][0],
                           "numerator": described[k][1], "denominator": described[k][2],
                           "weight": settings.weights.get(k, 0.0)} for k, i in INDICATORS.items()},
        "total": {"counts": total, "indicators": rates(total, definitions)},
        "groups": groups,
    }


async def issuing_centre(session: AsyncSession, code: str, tenant_name: str) -> str:
    """Who issues the tenant's 通报: its hotline centre (its unit of kind ``centre``), or the tenant's hotline."""
    name = await session.scalar(text(
        f"SELECT name FROM \"t_{validate_code(code)}\".units WHERE kind = 'centre' AND active ORDER BY id LIMIT 1"))
    return str(name) if name else f"{tenant_name}12345政务服务便民热线"


async def _tenant_name(session: AsyncSession, code: str) -> str:
    name = await session.scalar(text("SELECT name FROM public.tenants WHERE code = :c"), {"c": code})
    return str(name or code)


