"""Hot-spot alerts (热点预警) as a supervisor reads them, and the requests behind one.

The alerts themselves are the read model's (``public.hotspot_alerts``, raised by ``core.assessment.hotspots``).
The requests behind a spike are not in the read model (it counts them by hour, area and category, keeping no
numbers), so they are read from the tenants' own order tables — but only from the few tenants whose orders can lie
in that one area and that the asker may read: the levels above the area within the asker's reach (a city's
record of a request it took in one of its districts) and the area's own subtree (the district, its towns). Never a
walk over every tenant: a district has tens of towns, not thousands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.errors import AlertNotFound
from core.assessment.schemas import AlertKind, AlertOrder, AlertOrders, AlertOut
from core.assessment.statistics import area_names
from core.categories.service import visible_categories
from iam.actors import Actor

LIMIT = 200  # requests listed behind one alert, the newest first
_COLUMNS = ("id, kind, key, tenant_code, category, area, count, baseline, detail, opened_at, last_seen_at, "
            "closed_at")


async def _named(session: AsyncSession, code: str, rows: list[Any]) -> list[AlertOut]:
    categories = await visible_categories(session, code)
    places = await area_names(session, sorted({c for r in rows for c in (r.area, r.tenant_code) if c}))
    return [AlertOut(**r._mapping, tenant_name=places.get(r.tenant_code),
                     category_name=categories[r.category].name if r.category in categories else None,
                     area_name=places.get(r.area) if r.area else None) for r in rows]


async def alerts(session: AsyncSession, code: str, open_only: bool, area: str | None = None) -> list[AlertOut]:
    """Hot-spot alerts raised to ``code`` or any level below it (in ``area`` only, if given), newest first."""
    where = ["tenant_code LIKE :p"]
    params: dict[str, Any] = {"p": f"{code}%"}
    if open_only:
        where.append("closed_at IS NULL")
    if area:
        # An alert is in the area when its area (a spike's district) or its level lies in it.
        where.append("(coalesce(area, tenant_code) LIKE :a OR tenant_code LIKE :a)")
        params["a"] = f"{area}%"
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM public.hotspot_alerts WHERE {' AND '.join(where)} "
        "ORDER BY opened_at DESC, id DESC LIMIT 500"), params)).all()
    return await _named(session, code, rows)


async def _alert(session: AsyncSession, code: str, alert_id: int) -> AlertOut:
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM public.hotspot_alerts WHERE id = :id AND tenant_code LIKE :p"),
        {"id": alert_id, "p": f"{code}%"})).all()
    if not rows:
        raise AlertNotFound(alert_id, code)
    return (await _named(session, code, rows))[0]


async def _tenants_of_area(session: AsyncSession, code: str, area: str) -> list[tuple[str, str, str, str]]:
    """(code, name, path, schema) of the active tenants within ``code`` whose orders can lie in ``area``: the
    area's own subtree and its levels above."""
    rows = await session.execute(text(
        "SELECT code, name, path, schema_name FROM public.tenants WHERE status = 'active' AND code LIKE :c "
        "AND (code LIKE :a OR :area LIKE code || '%') ORDER BY length(code), code"),
        {"c": f"{code}%", "a": f"{area}%", "area": area})
    return [(c, n, p, s) for c, n, p, s in rows.all()]


async def alert_orders(session: AsyncSession, code: str, alert_id: int, actor: Actor, now: datetime,
                       may_read: Callable[[str], bool]) -> AlertOrders:
    """The requests behind an alert that the asker may see: each request once, as the record held closest to
    the asker (the highest level of its records within reach), newest first.

    A spike's requests are those of its category in its area taken from the window before it opened (the
    detection's ``window_hours``) until it closed, or until now while open. A same-issue alert's are its order and
    the orders merged into it. ``may_read(path)``: whether the asker may read the orders of the tenant at that
    path (a supervisor may, an admin may not).
    """
    alert = await _alert(session, code, alert_id)
    if alert.kind == AlertKind.spike:
        since = alert.opened_at - timedelta(hours=float(alert.detail.get("window_hours") or 24))
        area = alert.area or alert.tenant_code
        condition = ("division_code LIKE :area AND category = :category AND created_at >= :since "
                     "AND created_at < :until")
        params: dict[str, Any] = {"area": f"{area}%", "category": alert.category, "since": since}
        tenants = await _tenants_of_area(session, code, area)
    else:
        since = alert.opened_at
        kept, holder = str(alert.detail.get("order") or alert.key), str(alert.detail.get("tenant") or "")
        condition = ("(number = :kept OR merged_into_id = (SELECT id FROM {schema}.orders WHERE number = :kept))")
        params = {"kept": kept}
        tenants = [t for t in await _tenants_of_area(session, code, holder) if t[0] == holder]
    until = alert.closed_at or now
    params["until"] = until
    if actor.unit_only:  # a unit's staff: its own unit's orders of its own tenant only (core.orders.visibility)
        tenants = [t for t in tenants if t[2] == actor.home]
        condition += (" AND (lead_unit_id = :unit OR EXISTS (SELECT 1 FROM {schema}.order_assignments a "
                      "WHERE a.order_id = o.id AND a.unit_id = :unit))")
        params["unit"] = actor.unit_id or 0
    readable = [t for t in tenants if may_read(t[2])]
    items: list[AlertOrder] = []
    truncated = False
    if readable:
        # Schema names come from the registry (never from the request); one statement for the few tenants.
        parts = [f"SELECT '{t}' AS holder, number, coalesce(root_number, number) AS root, title, status, category, "
                 f"division_code, created_at, handle_deadline FROM \"{schema}\".orders o "
                 f"WHERE {condition.format(schema=chr(34) + schema + chr(34))}"
                 for t, _, _, schema in readable]
        rows = (await session.execute(text(
            " UNION ALL ".join(parts) + " ORDER BY created_at DESC, number LIMIT :limit"),
            {**params, "limit": LIMIT * len(readable) + 1})).all()
        names = {t: n for t, n, _, _ in readable}
        categories = await visible_categories(session, code)
        best: dict[str, Any] = {}
        for row in rows:  # each request once: its record at the highest level within reach
            held = best.get(row.root)
            if held is None or len(row.holder) < len(held.holder):
                best[row.root] = row
        chosen = sorted(best.values(), key=lambda r: (r.created_at, r.number), reverse=True)
        truncated = len(chosen) > LIMIT
        items = [AlertOrder(number=r.number, tenant_code=r.holder, tenant_name=names[r.holder], title=r.title,
                            status=r.status, category=r.category,
                            category_name=categories[r.category].name if r.category in categories else None,
                            division_code=r.division_code, created_at=r.created_at, handle_deadline=r.handle_deadline)
                 for r in chosen[:LIMIT]]
    return AlertOrders(alert=alert, since=since, until=until, items=items, truncated=truncated)
