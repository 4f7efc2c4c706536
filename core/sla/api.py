"""Routes of time limits (办理时限), the rework limit (重办时限) and the working-day calendar (节假日安排).

Read by every role of a tenant (and down the tree by those who read below); written by the admin of the tenant
whose setting it is (the calendar: the province's admin), each write recorded in the history of administration
(``GET /tenants/{code}/changes?subject=time_limits|rework_limit|calendar``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request

from core.sla import calendar_settings, limit_settings
from core.sla.calendar_settings import YearView
from core.sla.policy import nearest_row
from core.sla.rework import rework_days
from core.sla.schemas import (
    CalendarYearIn,
    CalendarYearOut,
    LimitOut,
    LimitUnit,
    PolicyIn,
    PolicyOut,
    ReworkLimit,
    ReworkLimitOut,
)
from core.vocabulary import OrderType, Urgency
from sso.access import CurrentActor, Guard, TenantGuard
from tenants.binding import CurrentTenant, DatabaseDep, TenantSession
from tenants.codes import lineage

router = APIRouter(prefix="/api/v1", tags=["time limits"])
Year = Annotated[int, Path(ge=2000, le=2100)]
WRITE_CALENDAR = [Depends(Guard("calendar", "write"))]
READ_LIMITS, WRITE_LIMITS = [Depends(TenantGuard("time_limit", "read"))], [Depends(TenantGuard("time_limit", "write"))]


def _year_out(view: YearView) -> CalendarYearOut:
    return CalendarYearOut(year=view.year, source=view.source, package_knows=view.package_knows, days=view.days,
                           entered_at=view.entered_at, entered_by=view.entered_by)


@router.get("/calendar/{year}", response_model=CalendarYearOut, dependencies=[Depends(Guard("calendar", "read"))])
async def get_calendar_year(db: DatabaseDep, year: Year) -> CalendarYearOut:
    """A year's holidays and make-up working days, and where they come from: ``chinese_calendar`` (the package
    knows the year), ``imported`` (copied from it), ``entered`` (by the province's admin) or ``estimated``
    (nobody knows it yet: weekends alone, deadlines across it flagged)."""
    async with db.shared_session() as session:
        return _year_out(await calendar_settings.year_view(session, year))


@router.put("/calendar/{year}", response_model=CalendarYearOut, dependencies=WRITE_CALENDAR)
async def put_calendar_year(request: Request, db: DatabaseDep, actor: CurrentActor, year: Year,
                            body: CalendarYearIn) -> CalendarYearOut:
    """The province's admin enters the State Council's schedule of a year (replacing what was stored for it):
    every day in the year, none twice, a make-up working day only on a Saturday or Sunday."""
    async with db.shared_session() as session:
        view = await calendar_settings.enter_year(session, year, body.days, actor)
    request.app.state.sla.invalidate()
    return _year_out(view)


@router.post("/calendar/{year}/import", response_model=CalendarYearOut, dependencies=WRITE_CALENDAR)
async def import_calendar_year(request: Request, db: DatabaseDep, actor: CurrentActor, year: Year) -> CalendarYearOut:
    """Copy the chinese-calendar package's schedule of a year it knows into the province's calendar, to be
    corrected from then on (409 ``calendar_year_unknown`` for a year it does not know)."""
    async with db.shared_session() as session:
        view = await calendar_settings.import_year(session, year, actor)
    request.app.state.sla.invalidate()
    return _year_out(view)


@router.delete("/calendar/{year}", response_model=CalendarYearOut, dependencies=WRITE_CALENDAR)
async def clear_calendar_year(request: Request, db: DatabaseDep, actor: CurrentActor, year: Year) -> CalendarYearOut:
    """Remove the stored schedule of a year: the package's applies again, or weekends alone (estimated)."""
    async with db.shared_session() as session:
        view = await calendar_settings.clear_year(session, year, actor)
    request.app.state.sla.invalidate()
    return _year_out(view)


@router.get("/tenants/{code}/time-limits", response_model=list[PolicyOut], response_model_by_alias=True,
            dependencies=READ_LIMITS)
async def effective_policies(request: Request, tenant: CurrentTenant, session: TenantSession) -> list[PolicyOut]:
    """The time limits in force for this tenant, each with ``from``: the tenant whose setting it is (its own, else
    its nearest ancestor's, else the province's defaults)."""
    rules = await request.app.state.sla.rules(session)
    codes = lineage(tenant.code)
    result = []
    for type_, urgency in sorted({(p.type, p.urgency) for p in rules.policies}):
        row = nearest_row(rules.policies, codes, type_, urgency)
        if row is None:
            continue
        result.append(PolicyOut(type=OrderType(type_), urgency=Urgency(urgency),
                                sign=LimitOut(value=row.sign.value, unit=LimitUnit(row.sign.unit)),
                                handle=LimitOut(value=row.handle.value, unit=LimitUnit(row.handle.unit)),
                                source=row.owner_tenant or codes[0]))
    return result


@router.put("/tenants/{code}/time-limits", response_model=list[PolicyOut], response_model_by_alias=True,
            dependencies=WRITE_LIMITS)
async def set_policies(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                       body: Annotated[list[PolicyIn], Body(min_length=1, max_length=60)]) -> list[PolicyOut]:
    """Set time limits (type × urgency → sign and handle) for this tenant and its subtree; at the province, the
    province's defaults. Refused whole, naming the field (``<index>.sign.value`` …): a limit longer than 60
    working days or 720 hours, a sign limit longer than the handling limit, a type × urgency twice."""
    await limit_settings.set_limits(session, tenant.code, body, actor)
    request.app.state.sla.invalidate()
    return await effective_policies(request, tenant, session)


@router.delete("/tenants/{code}/time-limits/{type}/{urgency}", response_model=list[PolicyOut],
               response_model_by_alias=True, dependencies=WRITE_LIMITS)
async def remove_policy(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                        type: OrderType, urgency: Urgency) -> list[PolicyOut]:
    """Remove this tenant's own limit for a type × urgency: the one set above applies again (404 ``not_set_here``
    when it has none; the province's defaults are changed, never removed: 409 ``time_limit_required``)."""
    await limit_settings.remove_limit(session, tenant.code, type.value, urgency.value, actor)
    request.app.state.sla.invalidate()
    return await effective_policies(request, tenant, session)


@router.get("/tenants/{code}/rework-limit", response_model=ReworkLimitOut, response_model_by_alias=True,
            dependencies=READ_LIMITS)
async def get_rework_limit(request: Request, tenant: CurrentTenant, session: TenantSession) -> ReworkLimitOut:
    """The rework time limit in force here (重办时限: after an unsatisfied follow-up or a reopening) and the
    tenant that set it ("default": 5 working days)."""
    rules = await request.app.state.sla.rules(session)
    days, source = rework_days(rules.rework_limits, lineage(tenant.code))
    return ReworkLimitOut.model_validate({"working_days": days, "from": source or "default"})


@router.put("/tenants/{code}/rework-limit", response_model=ReworkLimitOut, response_model_by_alias=True,
            dependencies=WRITE_LIMITS)
async def put_rework_limit(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                           body: ReworkLimit) -> ReworkLimitOut:
    """Set the rework time limit of this tenant and its subtree (at the province: the whole province's)."""
    await limit_settings.set_rework_limit(session, tenant.code, body.working_days, actor)
    request.app.state.sla.invalidate()
    return await get_rework_limit(request, tenant, session)


@router.delete("/tenants/{code}/rework-limit", response_model=ReworkLimitOut, response_model_by_alias=True,
               dependencies=WRITE_LIMITS)
async def remove_rework_limit(request: Request, tenant: CurrentTenant, session: TenantSession,
                              actor: CurrentActor) -> ReworkLimitOut:
    """Remove this tenant's own rework limit: the nearest one above (or the default) applies again."""
    await limit_settings.remove_rework_limit(session, tenant.code, actor)
    request.app.state.sla.invalidate()
    return await get_rework_limit(request, tenant, session)
