"""Routes of a tenant's handling units (承办单位)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from core.units import service
from core.units.schemas import UnitIn, UnitOut, UnitPatch
from iam.actors import Actor
from infra.edge import INT64_MAX
from sso.access import TenantGuard
from sso.realm import users_client
from sso.unit_groups import UnitGroups
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/units", tags=["units"])


@router.get("", response_model=list[UnitOut], dependencies=[Depends(TenantGuard("unit", "read"))])
async def list_units(tenant: CurrentTenant, session: TenantSession,
                     include_inactive: Annotated[bool, Query()] = False) -> list[UnitOut]:
    """The tenant's units (active ones unless asked)."""
    return [UnitOut.model_validate(u) for u in await service.list_units(session, include_inactive=include_inactive)]


Admin = Annotated[Actor, Depends(TenantGuard("unit", "write"))]


def _groups(request: Request) -> UnitGroups:
    """The units' Keycloak groups, written as the API's service account (manage-users, sso/realm.py)."""
    settings = request.app.state.settings
    return UnitGroups(lambda: users_client(settings))


@router.post("", response_model=UnitOut, status_code=201)
async def create_unit(request: Request, tenant: CurrentTenant, session: TenantSession, body: UnitIn,
                      admin: Admin) -> UnitOut:
    """Add a unit (its code unique in the tenant) and its Keycloak group at once. Recorded."""
    return UnitOut.model_validate(await service.add_unit(session, tenant, admin, body.model_dump(), _groups(request)))


@router.patch("/{unit_id}", response_model=UnitOut)
async def update_unit(request: Request, tenant: CurrentTenant, session: TenantSession,
                      unit_id: Annotated[int, Path(ge=1, le=INT64_MAX)], body: UnitPatch, admin: Admin) -> UnitOut:
    """Rename, change the phone, deactivate or make active again; the Keycloak group is renamed, removed or made at
    once. A unit with history is never deleted. Recorded."""
    unit = await service.change_unit(session, tenant, admin, unit_id, body.model_dump(exclude_unset=True),
                                     _groups(request))
    return UnitOut.model_validate(unit)
