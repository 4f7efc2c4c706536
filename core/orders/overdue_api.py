"""Routes of the overdue policy (超期处置策略): when the timer urges and escalates, per subtree. Read by every role
of a tenant, written by its admin (the time-limit grants), each change in the history of administration."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from core.orders.overdue_policy import OverduePolicy, OverduePolicyOut, load, remove_policy, set_policy
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/overdue-policy", tags=["federation"])


@router.get("", response_model=OverduePolicyOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "read"))])
async def get_policy(request: Request, tenant: CurrentTenant, session: TenantSession) -> OverduePolicyOut:
    """The overdue policy in force here and the tenant that set it ("default": the deployment's setting)."""
    policy, source = (await load(session, request.app.state.settings.auto_urge_after_hours)).at(tenant.code)
    return OverduePolicyOut.model_validate({"from": source or "default", **policy.model_dump()})


@router.put("", response_model=OverduePolicyOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def put_policy(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                     body: OverduePolicy) -> OverduePolicyOut:
    """Set when overdue orders of this tenant and its subtree are urged and escalated automatically (escalating
    before urging is refused: 422 on ``escalate_after_hours``)."""
    await set_policy(session, tenant.code, body, actor, request.app.state.settings.auto_urge_after_hours)
    return await get_policy(request, tenant, session)


@router.delete("", response_model=OverduePolicyOut, response_model_by_alias=True,
               dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def delete_policy(request: Request, tenant: CurrentTenant, session: TenantSession,
                        actor: CurrentActor) -> OverduePolicyOut:
    """Remove this tenant's own policy: the nearest one above (or the default) applies again."""
    await remove_policy(session, tenant.code, actor, request.app.state.settings.auto_urge_after_hours)
    return await get_policy(request, tenant, session)
