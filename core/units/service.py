"""A tenant's handling units (承办单位): listed, added, renamed, deactivated; a unit with history is never deleted.

Every change is recorded in the history of administration (``infra.change_log``) and mirrored at once in the
unit's Keycloak group (``sso.unit_groups``): the unit's row, its record and the group's record commit together,
and only after Keycloak has made, renamed or removed the group (a failure there changes nothing: 503).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.units.errors import UnitExists, UnitNotFound, UnknownParentUnit
from core.units.models import Unit
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from sso.unit_groups import Undo, UnitGroups
from tenants.models import Tenant

# What the history keeps of a unit (its settings, not its timestamps).
RECORDED = ("code", "name", "kind", "parent_id", "phone", "active")


async def list_units(session: AsyncSession, *, include_inactive: bool = False) -> list[Unit]:
    """The tenant's units by code (active ones unless asked)."""
    query = select(Unit).order_by(Unit.code)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return list((await session.scalars(query)).all())


def _state(unit: Unit) -> dict[str, Any]:
    return {key: getattr(unit, key) for key in RECORDED}


def _change(tenant: Tenant, actor: Actor, unit_id: int, action: ChangeAction, old: Any, new: Any) -> Change:
    return Change(tenant=tenant.code, subject=ChangeSubject.unit, key=str(unit_id), action=action, actor=actor.user,
                  actor_name=actor.name or None, old=old, new=new)


async def _commit(session: AsyncSession, undo: Undo | None) -> None:
    """Commit; if that fails after Keycloak did its step, undo the step there (best effort) and fail."""
    try:
        await session.commit()
    except BaseException:
        if undo is not None:
            await asyncio.to_thread(undo)
        raise


async def add_unit(session: AsyncSession, tenant: Tenant, actor: Actor, fields: dict[str, Any],
                   groups: UnitGroups) -> Unit:
    """A new active unit with its Keycloak group; its parent, if named, must be a unit of the tenant, its code
    unused. Recorded."""
    parent_id = fields.get("parent_id")
    if parent_id is not None and await session.get(Unit, parent_id) is None:
        raise UnknownParentUnit(parent_id)
    unit = Unit(**fields, active=True)
    session.add(unit)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise UnitExists(fields["code"]) from None
    await record(session, _change(tenant, actor, unit.id, ChangeAction.create, None, _state(unit)))
    undo = await groups.created(session, tenant.path, unit.id, unit.name)
    await _commit(session, undo)
    await session.refresh(unit)
    return unit


async def change_unit(session: AsyncSession, tenant: Tenant, actor: Actor, unit_id: int, changes: dict[str, Any],
                      groups: UnitGroups) -> Unit:
    """Rename, change the phone, deactivate or make active again; the group follows (renamed, removed, made
    again). People whose unit it is keep their accounts (the people screen shows the unit as deactivated, for an
    admin to move them). Recorded (``disable``/``enable`` for the unit's activity, ``update`` otherwise); a change
    to nothing records nothing."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(unit_id, tenant.code)
    before = _state(unit)
    changed = {key: value for key, value in changes.items() if before.get(key) != value}
    if not changed:
        return unit
    for key, value in changed.items():
        setattr(unit, key, value)
    await session.flush()
    action = (ChangeAction.update if "active" not in changed
              else ChangeAction.enable if changed["active"] else ChangeAction.disable)
    await record(session, _change(tenant, actor, unit_id, action, {k: before[k] for k in changed}, changed))
    undo: Undo | None = None
    if changed.get("active") is False:
        undo = await groups.removed(session, tenant.path, unit_id, unit.name)
    elif changed.get("active") is True:
        undo = await groups.created(session, tenant.path, unit_id, unit.name)
    elif "name" in changed and unit.active:
        undo = await groups.renamed(session, tenant.path, unit_id, unit.name)
    await _commit(session, undo)
    await session.refresh(unit)
    return unit
