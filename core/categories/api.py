"""Routes of the category taxonomy as a tenant sees it, and a tenant's own extensions (read by every role of the
tenant; written by its admin, recorded in the history of administration)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from core.categories.schemas import CategoryChange, CategoryIn
from core.categories.service import CategoryView, add_category, change_category, visible_categories
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/categories", tags=["categories"])
CategoryCode = Annotated[str, Path(min_length=2, max_length=12, pattern=r"^[0-9A-Za-z-]+$")]


@router.get("", response_model=list[CategoryView], dependencies=[Depends(TenantGuard("category", "read"))])
async def list_categories(tenant: CurrentTenant, session: TenantSession) -> list[CategoryView]:
    """The province's taxonomy with the extensions of this tenant and its ancestors (``owner_tenant``: whose)."""
    views = await visible_categories(session, tenant.code)
    return sorted(views.values(), key=lambda v: v.code)


@router.post("", response_model=CategoryView, status_code=201, dependencies=[Depends(TenantGuard("category", "write"))])
async def create_category(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                          body: CategoryIn) -> CategoryView:
    """Extend the taxonomy for this tenant and its subtree (a minor's code begins with its major's)."""
    view = await add_category(session, tenant.code, body, actor)
    request.app.state.categories.invalidate()
    return view


@router.patch("/{category}", response_model=CategoryView, dependencies=[Depends(TenantGuard("category", "write"))])
async def patch_category(request: Request, tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                         category: CategoryCode, body: CategoryChange) -> CategoryView:
    """Rename, take out of use (or back), or set the handling limit of one of this tenant's own categories (at the
    province: of the province's taxonomy)."""
    view = await change_category(session, tenant.code, category, body, actor)
    request.app.state.categories.invalidate()
    return view
