"""Routes of time limits and the working-day calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from core.sla import service
from core.sla.policy import Limit, resolve_policy
from core.sla.rework import rework_days
from core.sla.schemas import (
    CalendarDayIn,
    CalendarYearIn,
    LimitOut,
    PolicyIn,
    PolicyOut,
    ReworkLimit,
    ReworkLimitOut,
)
from sso.access import CurrentActor, Guard, TenantGuard
from tenants.binding import CurrentTenant, DatabaseDep, TenantSession
from tenants.codes import lineage

router = APIRouter(prefix="/api/v1", tags=["time limits"])


@router.put("/calendar/{year}", status_code=204, dependencies=[Depends(Guard("calendar", "write"))])
async def put_calendar_year(request: Request, db: DatabaseDep, actor: CurrentActor,
                            year: Annotated[int, Path(ge=2000, le=2100)], body: CalendarYearIn) -> None:
    """A province admin enters the State Council's holiday schedule for a year (replaces that year's)."""
    async with db.shared_session() as session:
        await service.enter_year(session, year, [(d.date, d.workday, d.name) for d in body.days],
                                 by_tenant=actor.tenant)
    request.app.state.sla.invalidate()


@router.get("/calendar/{year}", response_model=list[CalendarDayIn], dependencies=[Depends(Guard("calendar", "read"))])
async def get_calendar_year(db: DatabaseDep,
                            year: Annotated[int, Path(ge=2000, le=2100)]) -> list[CalendarDayIn]:
    """The days an admin entered for a year."""
    async with db.shared_session() as session:
        rows = await service.year_days(session, year)
    return [CalendarDayIn(date=r.day, workday=r.workday, name=r.name) for r in rows]


@router.get("/tenants/{code}/time-limits", response_model=list[PolicyOut],
            dependencies=[Depends(TenantGuard("time_limit", "read"))])
async def effective_policies(request: Request, tenant: CurrentTenant, session: TenantSession) -> list[PolicyOut]:
    """The time limits in force for this tenant (its overrides, else its ancestors', else the province's)."""
    rules = await request.app.state.sla.rules(session)
    keys = sorted({(p.type, p.urgency) for p in rules.policies})
    result = []
    for type_, urgency in keys:
        policy = resolve_policy(rules.policies, lineage(tenant.code), type_, urgency)
        result.append(PolicyOut(type=type_, urgency=urgency, sign=LimitOut(**policy.sign.__dict__),
                                handle=LimitOut(**policy.handle.__dict__)))
    return result


@router.put("/tenants/{code}/time-limits", response_model=list[PolicyOut],
            dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def set_policies(request: Request, tenant: CurrentTenant, session: TenantSession,
                       body: list[PolicyIn]) -> list[PolicyOut]:
    """Set time limits for this tenant and its subtree; at the province, the province's defaults."""
    owner = None if tenant.level == "province" else tenant.code
    await service.set_policies(session, owner, [
        (item.type.value, item.urgency.value, Limit(item.sign.value, item.sign.unit),
         Limit(item.handle.value, item.handle.unit)) for item in body])
    request.app.state.sla.invalidate()
    return await effective_policies(request, tenant, session)


@router.get("/tenants/{code}/rework-limit", response_model=ReworkLimitOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "read"))])
async def get_rework_limit(request: Request, tenant: CurrentTenant, session: TenantSession) -> ReworkLimitOut:
    """The rework time limit in force here (重办时限: after an unsatisfied follow-up or a reopening) and the
    tenant that set it ("default": 5 working days)."""
    rules = await request.app.state.sla.rules(session)
    days, source = rework_days(rules.rework_limits, lineage(tenant.code))
    return ReworkLimitOut.model_validate({"working_days": days, "from": source or "default"})


@router.put("/tenants/{code}/rework-limit", response_model=ReworkLimitOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def put_rework_limit(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                           body: ReworkLimit) -> ReworkLimitOut:
    """Set the rework time limit of this tenant and its subtree (at the province: the whole province's)."""
    await service.set_rework_limit(session, tenant.code, body.working_days, actor.user)
    request.app.state.sla.invalidate()
    return await get_rework_limit(request, tenant, session)
