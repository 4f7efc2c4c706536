"""Routes of the overdue policy (超期处置策略): when the timer urges and escalates, per subtree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import text

from core.orders.overdue_policy import OverduePolicy, load
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/overdue-policy", tags=["federation"])


@router.get("", dependencies=[Depends(TenantGuard("time_limit", "read"))])
async def get_policy(request: Request, tenant: CurrentTenant, session: TenantSession) -> dict[str, Any]:
    """The overdue policy in force here and the tenant that set it ("default": the deployment's setting)."""
    policy, source = (await load(session, request.app.state.settings.auto_urge_after_hours)).at(tenant.code)
    return {"from": source or "default", **policy.model_dump()}


@router.put("", dependencies=[Depends(TenantGuard("time_limit", "write"))])
async def put_policy(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                     body: OverduePolicy) -> dict[str, Any]:
    """Set when overdue orders of this tenant and its subtree are urged and escalated automatically."""
    await session.execute(text(
        "INSERT INTO public.overdue_policies (tenant_code, urge_after_hours, escalate_after_hours, updated_by) "
        "VALUES (:t, :u, :e, :by) ON CONFLICT (tenant_code) DO UPDATE SET "
        "urge_after_hours = EXCLUDED.urge_after_hours, escalate_after_hours = EXCLUDED.escalate_after_hours, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()"),
        {"t": tenant.code, "u": body.urge_after_hours, "e": body.escalate_after_hours, "by": actor.user})
    await session.commit()
    return await get_policy(request, tenant, session)
