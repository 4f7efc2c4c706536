"""Routes of the tenant tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from core.levels.schemas import TenantDetail, TenantRef
from infra.errors import error_body
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, DatabaseDep
from tenants.codes import Level
from tenants.errors import NotATenantCode, TenantNotFound
from tenants.service import ancestors_query, children_query, descendant_counts_query, descendants_query

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"])

ERRORS = {
    400: {"description": "Malformed tenant code", "content": {"application/json": {"example": error_body(
        NotATenantCode.code, NotATenantCode("41x").detail)}}},
    404: {"description": "Unknown tenant", "content": {"application/json": {"example": error_body(
        TenantNotFound.code, TenantNotFound("4199").detail)}}},
}


@router.get("/{code}", response_model=TenantDetail, responses=ERRORS,  # type: ignore[arg-type]
            dependencies=[Depends(TenantGuard("tenant", "read"))])
async def get_tenant(tenant: CurrentTenant, db: DatabaseDep) -> TenantDetail:
    """A tenant with its parent, its ancestors up to the province, its children and subtree size."""
    async with db.shared_session() as session:
        ancestors = list((await session.scalars(ancestors_query(tenant.code))).all())
        children = list((await session.scalars(children_query(tenant.code))).all())
        counts = {level: n for level, n in (await session.execute(descendant_counts_query(tenant.path))).all()}
    return TenantDetail(
        code=tenant.code, name=tenant.name, level=tenant.level, path=tenant.path, status=tenant.status,
        parent=TenantRef.model_validate(ancestors[-1]) if ancestors else None,
        ancestors=[TenantRef.model_validate(a) for a in ancestors],
        children=[TenantRef.model_validate(c) for c in children],
        descendant_counts=counts,
    )


@router.get("/{code}/descendants", response_model=list[TenantRef], responses=ERRORS,  # type: ignore[arg-type]
            dependencies=[Depends(TenantGuard("tenant", "read"))])
async def list_descendants(
    tenant: CurrentTenant,
    db: DatabaseDep,
    level: Annotated[Level | None, Query(description="Only this level, e.g. town.")] = None,
) -> list[TenantRef]:
    """Every tenant below this one in tree order (optionally one level only)."""
    async with db.shared_session() as session:
        rows = (await session.scalars(descendants_query(tenant.path, level))).all()
    return [TenantRef.model_validate(row) for row in rows]
