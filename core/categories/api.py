"""Routes of the category taxonomy as a tenant sees it, and a tenant's own extensions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from core.categories.service import CategoryView, add_category, visible_categories
from infra.edge import whole
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/categories", tags=["categories"])


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=12, pattern=r"^[0-9A-Za-z-]+$")
    name: str = Field(min_length=1, max_length=100)
    parent_code: str | None = None
    default_unit: str | None = Field(None, max_length=40)
    handle_limit_days: whole(ge=1, le=60) | None = None


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
