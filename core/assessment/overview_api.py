"""Routes of the overview (实时总览): a tenant's subtree with a tile per child level and per unit, one unit's
numbers, and the daily trend. Supervisors and auditors down their subtree, admins down theirs, dispatchers at
their own level (``assessment read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from core.assessment import overview as service
from core.assessment.overview_schemas import Overview, Trend, UnitOverview
from core.sla.calendar import CST
from infra.edge import INT64_MAX, Day
from infra.refusals import InvalidField
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/overview", tags=["assessment"])
READ = [Depends(TenantGuard("assessment", "read"))]
Period = Annotated[str | None, Query(max_length=23, description="the period's numbers: a month (2026-10) or days "
                                     "(2026-10-01..2026-10-15); default this month")]
UnitId = Annotated[int, Path(ge=1, le=INT64_MAX, description="a unit of this tenant")]


@router.get("", response_model=Overview, dependencies=READ)
async def overview(request: Request, tenant: CurrentTenant, session: TenantSession, period: Period = None) -> Overview:
    """实时总览: the subtree's numbers now (today's intake, open, yellow, red, urged) and of the period (escalated,
    overdue, closed, 满意率), the same for each child level's subtree and each unit of this tenant, and the
    subtree's open hot-spot alerts."""
    rules = await request.app.state.sla.rules(session)
    try:
        return await service.overview(session, tenant.code, rules.calendar, request.app.state.clock(), period)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None


@router.get("/units/{unit_id}", response_model=UnitOverview, dependencies=READ)
async def unit_overview(request: Request, tenant: CurrentTenant, session: TenantSession, unit_id: UnitId,
                        period: Period = None) -> UnitOverview:
    """One unit's overview: the dispatches it was given today, the open orders it leads now (yellow, red, urged),
    and the period's escalated, overdue, closed and 满意率 of what it handled."""
    rules = await request.app.state.sla.rules(session)
    try:
        return await service.unit_overview(session, tenant.code, unit_id, rules.calendar,
                                           request.app.state.clock(), period)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None


@router.get("/trend", response_model=Trend, dependencies=READ)
async def trend(
    request: Request, tenant: CurrentTenant, session: TenantSession,
    to: Annotated[Day | None, Query(description="the last day (default today)")] = None,
    days: Annotated[int, Query(ge=1, le=366, description="how many days up to `to`")] = service.TREND_DAYS,
    unit: Annotated[int | None, Query(ge=1, le=INT64_MAX, description="one unit of this tenant")] = None,
) -> Trend:
    """The daily trend of the subtree (or of one unit): intake, and of it closed and overdue, for each of the
    ``days`` days up to ``to``, by the day the records entered (docs/assessment.md)."""
    last = to or request.app.state.clock().astimezone(CST).date()
    return await service.trend(session, tenant.code, last, days, unit)
