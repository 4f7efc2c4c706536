"""Statistics (统计分析): the read model cut by one dimension, or by two as a cross table, with names.

Two tables answer, both of the read model (no tenant schema is scanned but the tenant's own ``units`` for its
units' names):

- ``stats_day`` (requests: 受理量): every request taken in the area, once, by the day it was taken (China time),
  its division, category, channel and type. By ``area`` it drills down the tree: each request counts in the
  child division it happened in (a city's districts, a district's towns); one filed at this level without a
  finer place counts under this level's own code.
- ``assess_unit_day`` (assigned: 交办量): for ``unit``, what each of this tenant's own units was given to lead
  (主办) — every dispatch to it, a re-dispatch after a send-back too — among the records this tenant received in
  the period (a record's day is the day it reached this tenant). The read model keeps no category, channel,
  type or place per unit, so ``unit`` goes with no filter and only with ``day`` or ``month``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment import geometry
from core.assessment.labels import CHANNEL_NAMES, TYPE_NAMES
from core.assessment.schemas import StatColumn, StatDimension, Statistics, StatItem, StatMeasure
from core.categories.service import visible_categories
from infra.refusals import InvalidField
from tenants.codes import validate_code

NEXT_LEVEL = {2: 4, 4: 6, 6: 9, 9: 9, 12: 12}
TIME_DIMENSIONS = (StatDimension.day, StatDimension.month)
DIMENSION_NAMES = {StatDimension.category: "类别", StatDimension.major_category: "大类", StatDimension.channel: "渠道",
                   StatDimension.type: "类型", StatDimension.area: "区域", StatDimension.unit: "承办单位",
                   StatDimension.day: "日期", StatDimension.month: "月份"}


@dataclass
class StatQuery:
    """One statistics question: the tenant, the days (``end`` exclusive), the cut and the filters."""

    code: str
    start: date
    end: date
    by: StatDimension
    then: StatDimension | None = None
    category: str | None = None
    channel: str | None = None
    type: str | None = None
    area: str | None = None

    def check(self) -> None:
        """Refuse a question the read model cannot answer truthfully."""
        if self.then is not None and self.then == self.by:
            raise InvalidField("then", "the second dimension must differ from the first ('by')")
        if self.area is not None and (not self.area.isdigit() or len(self.area) not in NEXT_LEVEL
                                      or not self.area.startswith(self.code)):
            raise InvalidField("area", f"{self.area!r} is not a division code within {self.code}")
        if StatDimension.unit in (self.by, self.then):
            other = self.then if self.by == StatDimension.unit else self.by
            if other is not None and other not in TIME_DIMENSIONS:
                raise InvalidField("then", "units are counted by what they were assigned: they go only with "
                                           "'day' or 'month'")
            if self.category or self.channel or self.type or self.area:
                raise InvalidField("by", "units are counted by what they were assigned, which the read model "
                                         "keeps by day only: no category, channel, type or area filter")

    @property
    def measure(self) -> StatMeasure:
        return StatMeasure.assigned if StatDimension.unit in (self.by, self.then) else StatMeasure.requests


def _intake_expr(dimension: StatDimension, child_len: int) -> str:
    return {
        StatDimension.category: "coalesce(category, '')",
        StatDimension.major_category: "substr(coalesce(category, ''), 1, 2)",
        StatDimension.channel: "channel",
        StatDimension.type: "type",
        StatDimension.day: "to_char(day, 'YYYY-MM-DD')",
        StatDimension.month: "to_char(day, 'YYYY-MM')",
        StatDimension.area: f"CASE WHEN length(division) >= {child_len} THEN substr(division, 1, {child_len}) "
                            "ELSE division END",
    }[dimension]


def _unit_expr(dimension: StatDimension) -> str:
    return {StatDimension.unit: "unit_id::text", StatDimension.day: "to_char(day, 'YYYY-MM-DD')",
            StatDimension.month: "to_char(day, 'YYYY-MM')"}[dimension]


async def _counts(session: AsyncSession, q: StatQuery) -> list[tuple[str, str | None, int]]:
    """(by key, then key or None, count) rows of the question."""
    dims = [q.by] + ([q.then] if q.then else [])
    if q.measure == StatMeasure.assigned:
        exprs = [_unit_expr(d) for d in dims]
        sql = (f"SELECT {', '.join(exprs)}, sum(assigned)::bigint FROM public.assess_unit_day "
               "WHERE tenant_code = :t AND day >= :s AND day < :e "
               f"GROUP BY {', '.join(str(i) for i in range(1, len(dims) + 1))} HAVING sum(assigned) > 0")
        params: dict[str, Any] = {"t": q.code, "s": q.start, "e": q.end}
    else:
        scope = q.area or q.code
        exprs = [_intake_expr(d, NEXT_LEVEL[len(scope)]) for d in dims]
        where = ["division LIKE :prefix", "day >= :s", "day < :e"]
        params = {"prefix": f"{scope}%", "s": q.start, "e": q.end}
        if q.category:
            where.append("category LIKE :category")
            params["category"] = q.category.replace("%", r"\%").replace("_", r"\_") + "%"
        for name in ("channel", "type"):
            if getattr(q, name):
                where.append(f"{name} = :{name}")
                params[name] = getattr(q, name)
        sql = (f"SELECT {', '.join(exprs)}, sum(n)::bigint FROM public.stats_day WHERE {' AND '.join(where)} "
               f"GROUP BY {', '.join(str(i) for i in range(1, len(dims) + 1))}")
    rows = (await session.execute(text(sql), params)).all()
    return [(r[0], r[1] if q.then else None, int(r[-1])) for r in rows]


def _time_keys(dimension: StatDimension, start: date, end: date) -> list[str]:
    """Every day or month of the range, so that a line has its zeros."""
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    if dimension == StatDimension.day:
        return [d.isoformat() for d in days]
    return sorted({d.strftime("%Y-%m") for d in days})


async def area_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    """Names of divisions: the registry's, else the map package's (a county not run as a tenant)."""
    rows = await session.execute(text("SELECT code, name FROM public.tenants WHERE code = ANY(:c)"), {"c": codes})
    found = {c: n for c, n in rows.all()}
    for code in codes:
        if code not in found and len(code) <= 6:
            name = geometry.name_of(code)
            if name:
                found[code] = name
    return found


async def unit_names(session: AsyncSession, code: str) -> dict[str, str]:
    rows = await session.execute(text(f'SELECT id, name FROM "t_{validate_code(code)}".units'))
    return {str(i): n for i, n in rows.all()}


async def _names(session: AsyncSession, code: str, dimension: StatDimension, keys: list[str]) -> dict[str, str]:
    if dimension in (StatDimension.category, StatDimension.major_category):
        categories = await visible_categories(session, code)
        return {k: categories[k].name for k in keys if k in categories}
    if dimension == StatDimension.channel:
        return {k: CHANNEL_NAMES[k] for k in keys if k in CHANNEL_NAMES}
    if dimension == StatDimension.type:
        return {k: TYPE_NAMES[k] for k in keys if k in TYPE_NAMES}
    if dimension == StatDimension.area:
        return await area_names(session, keys)
    if dimension == StatDimension.unit:
        return await unit_names(session, code)
    return {}


def _ordered(dimension: StatDimension, totals: dict[str, int], q: StatQuery) -> list[str]:
    """Time runs in order with every day (month) of the range; anything else from the most to the least."""
    if dimension in TIME_DIMENSIONS:
        return _time_keys(dimension, q.start, q.end)
    return sorted(totals, key=lambda k: (-totals[k], k))


async def statistics(session: AsyncSession, q: StatQuery, tenant_name: str) -> Statistics:
    """The question's table: rows by ``by`` (with their cells by ``then``), the columns, the total."""
    q.check()
    rows = await _counts(session, q)
    by_totals: dict[str, int] = defaultdict(int)
    then_totals: dict[str, int] = defaultdict(int)
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    for key, column, count in rows:
        by_totals[key] += count
        if column is not None:
            then_totals[column] += count
            cells[key][column] = cells[key].get(column, 0) + count
    keys = _ordered(q.by, by_totals, q)
    names = await _names(session, q.code, q.by, keys)
    columns: list[StatColumn] = []
    if q.then:
        column_keys = _ordered(q.then, then_totals, q)
        column_names = await _names(session, q.code, q.then, column_keys)
        columns = [StatColumn(key=k, name=column_names.get(k), count=then_totals.get(k, 0)) for k in column_keys]
    items = [StatItem(key=k, name=names.get(k), count=by_totals.get(k, 0),
                      cells=dict(cells.get(k, {})) if q.then else None) for k in keys]
    area_name = (await area_names(session, [q.area])).get(q.area) if q.area else None
    return Statistics(tenant=q.code, tenant_name=tenant_name, from_=q.start, to=q.end - timedelta(days=1), by=q.by,
                      then=q.then, measure=q.measure, area=q.area, area_name=area_name,
                      total=sum(by_totals.values()), items=items, columns=columns)


def workbook(table: Statistics) -> bytes:
    """The table as an XLSX workbook: a title, the filters, the rows by name with their cells and totals.

    Every cell is a value, never a formula (``infra.spreadsheet``): a category or unit name that starts with
    ``=`` stays text."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from infra.spreadsheet import text_only

    book = Workbook()
    sheet = book.active
    sheet.title = "统计分析"
    what = "交办量" if table.measure == StatMeasure.assigned else "受理量"
    place = f"（{table.area_name or table.area}）" if table.area else ""
    sheet.append([f"{table.tenant_name}{place} {what}统计  {table.from_.isoformat()} 至 {table.to.isoformat()}"])
    sheet["A1"].font = Font(bold=True, size=13)
    cut = DIMENSION_NAMES[table.by] + (f" × {DIMENSION_NAMES[table.then]}" if table.then else "")
    sheet.append([f"按{cut}"])
    header = [DIMENSION_NAMES[table.by]] + [c.name or c.key for c in table.columns] + ["合计"]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for item in table.items:
        cells = [(item.cells or {}).get(c.key, 0) for c in table.columns]
        sheet.append([item.name or item.key, *cells, item.count])
    sheet.append(["合计", *[c.count for c in table.columns], table.total])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    text_only(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
