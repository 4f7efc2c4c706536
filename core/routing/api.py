"""Routes of a tenant's routing rules (派单目录): read by whoever may see its units, written by its admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from core.routing import service
from core.routing.schemas import RoutingRuleIn, RoutingRuleOut
from infra.edge import INT64_MAX
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/routing-rules", tags=["routing"])
RuleId = Annotated[int, Path(ge=1, le=INT64_MAX)]
READ, WRITE = Depends(TenantGuard("unit", "read")), Depends(TenantGuard("unit", "write"))


@router.get("", response_model=list[RoutingRuleOut], dependencies=[READ])
async def list_rules(tenant: CurrentTenant, session: TenantSession) -> list[RoutingRuleOut]:
    """The tenant's routing rules, by category and division."""
    return await service.list_rules(session)


@router.get("/suggest", response_model=RoutingRuleOut | None, dependencies=[READ])
async def suggest(tenant: CurrentTenant, session: TenantSession,
                  category: Annotated[str, Query(min_length=1, max_length=40)],
                  division_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None) -> RoutingRuleOut | None:
    """The most specific rule for an order (longest division prefix, then longest category prefix), or null."""
    return await service.suggest(session, category, division_code)


@router.post("", response_model=RoutingRuleOut, status_code=201, dependencies=[WRITE],
             responses={409: {"description": "A rule for this category and division prefix exists"}})
async def add_rule(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                   body: RoutingRuleIn) -> RoutingRuleOut:
    """A new rule; its target and co-handlers are checked as a dispatch to them would be."""
    categories = await request.app.state.categories.visible(session, tenant.code)
    return await service.add_rule(session, tenant, body, categories, actor)


@router.put("/{rule_id}", response_model=RoutingRuleOut, dependencies=[WRITE],
            responses={409: {"description": "Another rule has this category and division prefix"}})
async def change_rule(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                      rule_id: RuleId, body: RoutingRuleIn) -> RoutingRuleOut:
    """The rule replaced by the body."""
    categories = await request.app.state.categories.visible(session, tenant.code)
    return await service.change_rule(session, tenant, rule_id, body, categories, actor)


@router.delete("/{rule_id}", status_code=204, response_class=Response, dependencies=[WRITE])
async def remove_rule(tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                      rule_id: RuleId) -> Response:
    """The rule removed."""
    await service.remove_rule(session, tenant, rule_id, actor)
    return Response(status_code=204)
