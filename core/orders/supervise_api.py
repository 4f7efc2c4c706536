"""Routes of the 督办 desk (督办台): the subtree's red, overdue and disputed orders; urging several at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from core.orders import supervise
from core.orders.api import OrderContext
from core.orders.context import field_error
from core.orders.supervise_schemas import DeskKind, DeskPage, DeskSort, UrgeMany, UrgeResults
from core.sla.policy import Light
from iam.actors import Role
from infra.edge import INT64_MAX
from sso.access import TenantGuard
from tenants.codes import CODE_PATTERN, Level, is_descendant

router = APIRouter(prefix="/api/v1/tenants/{code}/supervise", tags=["supervise"])


def desk_filter(
    kind: Annotated[list[DeskKind] | None, Query(description="red, overdue, disputed (default: any)")] = None,
    tenant: Annotated[str | None, Query(pattern=CODE_PATTERN, description="held in this subtree")] = None,
    level: Annotated[Level | None, Query(description="held at this level")] = None,
    holder_tenant: Annotated[str | None, Query(pattern=CODE_PATTERN, description="held at exactly this tenant")] = None,
    holder_unit: Annotated[int | None, Query(ge=1, le=INT64_MAX, description="held by this unit of holder_tenant")]
    = None,
    area: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="所属区域: a division code prefix")] = None,
    category: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,40}$",
                                          description="a category; a major matches its minors")] = None,
    light: Annotated[Light | None, Query()] = None,
    urged: Annotated[bool | None, Query(description="urged (督办) at least once, or never")] = None,
) -> supervise.DeskFilter:
    if holder_unit is not None and holder_tenant is None:
        raise field_error("holder_unit", "a unit is named with its tenant (holder_tenant): unit ids are per level")
    return supervise.DeskFilter(kinds=kind, tenant=tenant, level=level, holder_tenant=holder_tenant,
                                holder_unit=holder_unit, area=area, category=category, light=light, urged=urged)


@router.get("", response_model=DeskPage, dependencies=[Depends(TenantGuard("supervision", "read"))])
async def desk(ctx: OrderContext, filters: Annotated[supervise.DeskFilter, Depends(desk_filter)],
               sort: DeskSort = DeskSort.late, cursor: Annotated[str | None, Query(max_length=300)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50) -> DeskPage:
    """督办台: the red (红灯), overdue (超期 this month) and disputed (争议) orders held in this tenant's subtree, most
    late first, with the counts of each kind; read from the desk's index, never tenant by tenant."""
    for name in ("tenant", "holder_tenant"):
        code = getattr(filters, name)
        if code is not None and code != ctx.tenant.code and not is_descendant(code, ctx.tenant.code):
            raise field_error(name, f"{code} is not tenant {ctx.tenant.code} nor below it")
    return await supervise.page(ctx.session, ctx.tenant, filters, sort, cursor, limit, ctx.now, ctx.rules.calendar,
                                ctx.categories, may_urge=ctx.actor.has(Role.supervisor))


@router.post("/urge", response_model=UrgeResults, dependencies=[Depends(TenantGuard("supervision", "act"))])
async def urge_many(request: Request, ctx: OrderContext, body: UrgeMany) -> UrgeResults:
    """督办 of several orders of the desk at once, with one reason and 督办时限: each order's urge is its own step
    (its own event), and each answers for itself (some may be refused: closed meanwhile, not in this subtree)."""
    if body.due <= ctx.now:
        raise field_error("due", "the 督办时限 must be later than now")
    state = request.app.state
    return UrgeResults(results=await supervise.urge_many(
        state.db, state.registry, state.sla, state.categories, ctx.actor, ctx.tenant, body, ctx.now))
