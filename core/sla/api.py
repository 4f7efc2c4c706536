"""Routes of time limits and the working-day calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text

from core.sla.errors import CalendarForProvince, DaysOutsideYear
from core.sla.models import CalendarDay, SlaPolicy
from core.sla.policy import resolve_policy
from core.sla.rework import rework_days
from core.sla.service import enter_year
from core.vocabulary import OrderType, Urgency
from infra.edge import Day, Flag, Whole
from sso.access import CurrentActor, Guard, TenantGuard
from tenants.binding import CurrentTenant, DatabaseDep, TenantSession
from tenants.codes import lineage

router = APIRouter(prefix="/api/v1", tags=["time limits"])


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    workday: Flag
    name: str | None = Field(None, max_length=50)


class CalendarYearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[CalendarDayIn] = Field(max_length=366, description="Holidays (workday false) and make-up "
                                                                 "working days (workday true); other days follow "
                                                                 "the weekday rule.")


class LimitOut(BaseModel):
    value: int
    unit: str


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Whole = Field(ge=1, le=720)
    unit: str = Field(pattern="^(hours|working_days)$")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OrderType
    urgency: Urgency
    sign: LimitIn
    handle: LimitIn


class PolicyOut(BaseModel):
    type: str
    urgency: str
    sign: LimitOut
    handle: LimitOut


@router.put("/calendar/{year}", status_code=204, dependencies=[Depends(Guard("calendar", "write"))])
async def put_calendar_year(request: Request, db: DatabaseDep, actor: CurrentActor,
                            year: Annotated[int, Path(ge=2000, le=2100)], body: CalendarYearIn) -> None:
    """A province admin enters the State Council's holiday schedule for a year (replaces that year's)."""
    if len(actor.tenant) != 2:
        raise CalendarForProvince()
    wrong = [d.date.isoformat() for d in body.days if d.date.year != year]
    if wrong:
        raise DaysOutsideYear(year, wrong)
    async with db.shared_session() as session:
        await enter_year(session, year, [(d.date, d.workday, d.name) for d in body.days])
    request.app.state.sla.invalidate()


@router.get("/calendar/{year}", response_model=list[CalendarDayIn], dependencies=[Depends(Guard("calendar", "read"))])
async def get_calendar_year(db: DatabaseDep,
                            year: Annotated[int, Path(ge=2000, le=2100)]) -> list[CalendarDayIn]:
    """The days an admin entered for a year."""
    async with db.shared_session() as session:
        rows = (await session.scalars(select(CalendarDay).where(
            CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day))).all()
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
    for item in body:
        row = await session.scalar(select(SlaPolicy).where(
            SlaPolicy.owner_tenant.is_(None) if owner is None else SlaPolicy.owner_tenant == owner,
            SlaPolicy.type == item.type.value, SlaPolicy.urgency == item.urgency.value))
        if row is None:
            row = SlaPolicy(owner_tenant=owner, type=item.type.value, urgency=item.urgency.value)
            session.add(row)
        row.sign_value, row.sign_unit = item.sign.value, item.sign.unit
        row.handle_value, row.handle_unit = item.handle.value, item.handle.unit
    await session.commit()
    request.app.state.sla.invalidate()
    return await effective_policies(request, tenant, session)


class ReworkLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working_days: Whole = Field(ge=1, le=60, description="working days to handle an order again (重办时限)")


class ReworkLimitOut(ReworkLimit):
    source: str = Field(alias="from", description='the tenant that set it, or "default"')


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
    await session.execute(text(
        "INSERT INTO public.rework_limits (tenant_code, working_days, updated_by) VALUES (:t, :d, :by) "
        "ON CONFLICT (tenant_code) DO UPDATE SET working_days = EXCLUDED.working_days, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant.code, "d": body.working_days, "by": actor.user})
    await session.commit()
    request.app.state.sla.invalidate()
    return await get_rework_limit(request, tenant, session)
