"""A tenant's handling units (承办单位): listed, added, changed; a unit with history is never deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.units.errors import UnitExists, UnitNotFound, UnknownParentUnit
from core.units.models import Unit


async def list_units(session: AsyncSession, *, include_inactive: bool = False) -> list[Unit]:
    """The tenant's units by code (active ones unless asked)."""
    query = select(Unit).order_by(Unit.code)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return list((await session.scalars(query)).all())


async def add_unit(session: AsyncSession, fields: dict[str, Any]) -> Unit:
    """A new active unit; its parent, if named, must be a unit of the tenant, its code unused."""
    parent_id = fields.get("parent_id")
    if parent_id is not None and await session.get(Unit, parent_id) is None:
        raise UnknownParentUnit(parent_id)
    unit = Unit(**fields, active=True)
    session.add(unit)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise UnitExists(fields["code"]) from None
    await session.refresh(unit)
    return unit


async def change_unit(session: AsyncSession, tenant_code: str, unit_id: int, changes: dict[str, Any]) -> Unit:
    """Rename, change the phone, or deactivate."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(unit_id, tenant_code)
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.commit()
    await session.refresh(unit)
    return unit
