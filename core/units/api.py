"""Routes of a tenant's handling units (承办单位)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from core.units import service
from core.units.schemas import UnitIn, UnitOut, UnitPatch
from infra.edge import INT64_MAX
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/units", tags=["units"])


@router.get("", response_model=list[UnitOut], dependencies=[Depends(TenantGuard("unit", "read"))])
async def list_units(tenant: CurrentTenant, session: TenantSession,
                     include_inactive: Annotated[bool, Query()] = False) -> list[UnitOut]:
    """The tenant's units (active ones unless asked)."""
    return [UnitOut.model_validate(u) for u in await service.list_units(session, include_inactive=include_inactive)]


@router.post("", response_model=UnitOut, status_code=201, dependencies=[Depends(TenantGuard("unit", "write"))])
async def create_unit(tenant: CurrentTenant, session: TenantSession, body: UnitIn) -> UnitOut:
    """Add a unit (its code unique in the tenant)."""
    return UnitOut.model_validate(await service.add_unit(session, body.model_dump()))


@router.patch("/{unit_id}", response_model=UnitOut, dependencies=[Depends(TenantGuard("unit", "write"))])
async def update_unit(tenant: CurrentTenant, session: TenantSession, unit_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
                      body: UnitPatch) -> UnitOut:
    """Rename, change the phone, or deactivate (a unit with history is never deleted)."""
    unit = await service.change_unit(session, tenant.code, unit_id, body.model_dump(exclude_unset=True))
    return UnitOut.model_validate(unit)
