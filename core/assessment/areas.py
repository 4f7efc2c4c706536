"""The hot-spot map's numbers (热点地图): per district or county (区县) of a tenant's area, what colours it.

- requests (受理量): requests taken in the area in the period (``stats_day``, by the division of the request);
- open / overdue (超期未办结): the open records its hotline tree holds now, and how many are past their limit —
  the read model's open records of the area's tenant subtree (``assess_open_node``, as the overview counts
  them), so an area that is not a tenant of the platform has none to show;
- per 10,000 residents: requests ÷ population × 10,000, only where a population table was loaded
  (``public.area_population``; no package of the registries carries the census's county table).

Reads the read model only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment import geometry
from core.assessment.overview import open_by_node
from core.assessment.schemas import HotspotArea, HotspotMap
from core.assessment.statistics import area_names
from core.sla.calendar import WorkCalendar


async def _area_codes(session: AsyncSession, code: str) -> list[str]:
    """The county-level areas of the tenant's map: the package's counties and the platform's district tenants (a
    development zone is a tenant without a boundary); a district or a town is its own one area."""
    if len(code) >= 6:
        return [code]
    rows = await session.execute(text(
        "SELECT code FROM public.tenants WHERE code LIKE :p AND level = 'district' AND status = 'active'"),
        {"p": f"{code}%"})
    return sorted({b.code for b in geometry.counties_of(code)} | {c for (c,) in rows.all()})


async def hotspot_map(session: AsyncSession, code: str, tenant_name: str, start: date, end: date,
                      calendar: WorkCalendar, now: datetime) -> HotspotMap:
    """Every area of the tenant's map with its requests in [start, end), its open and overdue orders now, and its
    requests per 10,000 residents where the population is known."""
    codes = await _area_codes(session, code)
    width = max(len(code), 6)
    rows = await session.execute(text(
        f"SELECT substr(division, 1, {width}), sum(n)::bigint FROM public.stats_day "
        "WHERE division LIKE :p AND day >= :s AND day < :e GROUP BY 1"), {"p": f"{code}%", "s": start, "e": end})
    requests: dict[str, int] = {}
    unplaced = 0
    for key, n in rows.all():
        if len(key) < width:
            unplaced += int(n)  # taken for the whole city (province), no district given
        else:
            requests[key] = requests.get(key, 0) + int(n)
    tenants = {c for (c,) in (await session.execute(text(
        "SELECT code FROM public.tenants WHERE code = ANY(:c) AND status = 'active'"), {"c": codes})).all()}
    live = await open_by_node(session, code, sorted(tenants), calendar, now) if tenants else {}
    people = {c: (int(p), int(y), s) for c, p, y, s in (await session.execute(text(
        "SELECT code, population, year, source FROM public.area_population WHERE code = ANY(:c)"),
        {"c": codes})).all()}
    names = await area_names(session, codes)
    mapped = {b.code for b in geometry.counties_of(code)}
    areas = []
    for area in codes:
        count = requests.get(area, 0)
        population = people.get(area)
        areas.append(HotspotArea(
            code=area, name=names.get(area, area), mapped=area in mapped, requests=count,
            open=live[area]["open"] if area in live else None, overdue=live[area]["red"] if area in live else None,
            population=population[0] if population else None, population_year=population[1] if population else None,
            per_10k=round(count / population[0] * 10_000, 2) if population else None))
    sources = sorted({s for _, _, s in people.values()})
    return HotspotMap(tenant=code, tenant_name=tenant_name, from_=start, to=end - timedelta(days=1), areas=areas,
                      unplaced=unplaced, population_source="；".join(sources) or None)
