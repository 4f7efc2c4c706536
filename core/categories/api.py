"""Routes of the category taxonomy as a tenant sees it, and a tenant's own extensions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from core.categories.schemas import CategoryIn
from core.categories.service import CategoryView, add_category, visible_categories
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/categories", tags=["categories"])


@router.get("", response_model=list[CategoryView], dependencies=[Depends(TenantGuard("category", "read"))])
async def list_categories(tenant: CurrentTenant, session: TenantSession) -> list[CategoryView]:
    """The province's taxonomy with the extensions of this tenant and its ancestors."""
    views = await visible_categories(session, tenant.code)
    return sorted(views.values(), key=lambda v: v.code)


@router.post("", response_model=CategoryView, status_code=201, dependencies=[Depends(TenantGuard("category", "write"))])
async def create_category(request: Request, tenant: CurrentTenant, session: TenantSession,
                          body: CategoryIn) -> CategoryView:
    """Extend the taxonomy for this tenant and its subtree."""
    view = await add_category(session, tenant.code, body.code, body.name, body.parent_code, body.default_unit,
                              body.handle_limit_days)
    request.app.state.categories.invalidate()
    return view
