"""Routes of a tenant's handling units (承办单位)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.units.errors import UnitExists, UnitNotFound, UnknownParentUnit
from core.units.models import UNIT_KINDS, Unit
from infra.edge import INT64_MAX, Flag, Id
from infra.times import Time
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/units", tags=["units"])


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(" + "|".join(UNIT_KINDS) + ")$")
    parent_id: Id | None = None
    phone: str | None = Field(None, max_length=40)


class UnitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Absent: unchanged. ``null`` is refused (422) where the column is NOT NULL; the phone may be cleared.
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    phone: str | None = Field(None, max_length=40)
    active: Flag = None  # type: ignore[assignment]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    phone: str | None
    active: bool
    created_at: Time


@router.get("", response_model=list[UnitOut], dependencies=[Depends(TenantGuard("unit", "read"))])
async def list_units(tenant: CurrentTenant, session: TenantSession,
                     include_inactive: Annotated[bool, Query()] = False) -> list[UnitOut]:
    """The tenant's units (active ones unless asked)."""
    query = select(Unit).order_by(Unit.code)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return [UnitOut.model_validate(u) for u in (await session.scalars(query)).all()]


@router.post("", response_model=UnitOut, status_code=201, dependencies=[Depends(TenantGuard("unit", "write"))])
async def create_unit(tenant: CurrentTenant, session: TenantSession, body: UnitIn) -> UnitOut:
    if body.parent_id is not None and await session.get(Unit, body.parent_id) is None:
        raise UnknownParentUnit(body.parent_id)
    unit = Unit(**body.model_dump(), active=True)
    session.add(unit)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise UnitExists(body.code) from None
    await session.refresh(unit)
    return UnitOut.model_validate(unit)


@router.patch("/{unit_id}", response_model=UnitOut, dependencies=[Depends(TenantGuard("unit", "write"))])
async def update_unit(tenant: CurrentTenant, session: TenantSession, unit_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
                      body: UnitPatch) -> UnitOut:
    """Rename, change the phone, or deactivate (a unit with history is never deleted)."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(unit_id, tenant.code)
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(unit, key, value)
    await session.commit()
    await session.refresh(unit)
    return UnitOut.model_validate(unit)
