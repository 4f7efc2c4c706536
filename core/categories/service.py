"""The taxonomy as a tenant sees it: the province's categories plus its lineage's extensions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.errors import (
    CategoryExists,
    CategoryHasChildren,
    CategoryNotFound,
    CategoryNotYours,
    CodeOutsideParent,
    UnknownParentCategory,
)
from core.categories.models import Category
from core.categories.schemas import CategoryChange, CategoryIn
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.refusals import InvalidField
from infra.settings_versions import CachedSetting, VersionWatch, bump
from tenants.codes import lineage


@dataclass(frozen=True)
class CategoryView:
    code: str
    name: str
    parent_code: str | None
    owner_tenant: str | None
    active: bool
    default_unit: str | None
    handle_limit_days: int | None
    leaf: bool


async def visible_categories(session: AsyncSession, tenant_code: str) -> dict[str, CategoryView]:
    """Every category visible to a tenant, by code."""
    rows = (await session.scalars(
        select(Category).where(or_(Category.owner_tenant.is_(None), Category.owner_tenant.in_(lineage(tenant_code))))
    )).all()
    parents = {row.parent_code for row in rows if row.parent_code}
    return {
        row.code: CategoryView(row.code, row.name, row.parent_code, row.owner_tenant, row.active,
                               row.default_unit, row.handle_limit_days, row.code not in parents)
        for row in rows
    }


class CategoryStore:
    """Per-process cache of what each tenant sees; a change in any process shows within about a second (the
    settings' counter, infra/settings_versions.py), and everything is read again after TTL_S seconds anyway."""

    TTL_S = 300.0

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, dict[str, CategoryView]]] = {}
        self._watch = VersionWatch(CachedSetting.categories)

    async def visible(self, session: AsyncSession, tenant_code: str) -> dict[str, CategoryView]:
        if await self._watch.moved(session):
            self._cache.clear()
        hit = self._cache.get(tenant_code)
        if hit is None or time.monotonic() - hit[0] > self.TTL_S:
            hit = (time.monotonic(), await visible_categories(session, tenant_code))
            self._cache[tenant_code] = hit
        return hit[1]

    def invalidate(self) -> None:
        self._cache.clear()
        self._watch.forget()


def _as_record(row: Category) -> dict[str, object]:
    """A category as its history keeps it."""
    return {"code": row.code, "name": row.name, "parent_code": row.parent_code, "active": row.active,
            "default_unit": row.default_unit, "handle_limit_days": row.handle_limit_days}


def _named(name: str, field: str = "name") -> str:
    if not name.strip():
        raise InvalidField(field, "a category needs a name")
    return name.strip()


async def add_category(session: AsyncSession, tenant_code: str, body: CategoryIn, actor: Actor) -> CategoryView:
    """A tenant's extension of the taxonomy, for it and its subtree; its code must be new in the tenant's lineage
    and begin with its parent's (a rule for the parent then covers it). Recorded in the history of administration."""
    visible = await visible_categories(session, tenant_code)
    if body.code in visible:
        raise CategoryExists(body.code, tenant_code)
    if body.parent_code is not None:
        if body.parent_code not in visible:
            raise UnknownParentCategory(body.parent_code)
        if not body.code.startswith(body.parent_code) or body.code == body.parent_code:
            raise CodeOutsideParent(body.code, body.parent_code)
    row = Category(code=body.code, name=_named(body.name), parent_code=body.parent_code, owner_tenant=tenant_code,
                   active=True, default_unit=body.default_unit, handle_limit_days=body.handle_limit_days)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # the same code added at the same moment by someone else
        await session.rollback()
        raise CategoryExists(body.code, tenant_code) from None
    await _recorded(session, tenant_code, actor, ChangeAction.create, None, _as_record(row))
    await session.commit()
    return (await visible_categories(session, tenant_code))[body.code]


async def change_category(session: AsyncSession, tenant_code: str, code: str, body: CategoryChange,
                          actor: Actor) -> CategoryView:
    """Rename a category, take it out of use (or back), set its default unit or its own handling limit: a
    tenant's own extensions, and at the province the province's taxonomy. Only the fields sent change."""
    row = await _owned(session, tenant_code, code)
    before = _as_record(row)
    sent = body.model_fields_set
    if "name" in sent:
        if body.name is None:
            raise InvalidField("name", "a category needs a name")
        row.name = _named(body.name)
    if "active" in sent and body.active is not None:
        if not body.active and row.active:
            children = (await session.scalars(select(Category.code).where(
                Category.parent_code == code, Category.active.is_(True),
                or_(Category.owner_tenant.is_(None), Category.owner_tenant.like(f"{tenant_code}%"))))).all()
            if children:
                raise CategoryHasChildren(code, sorted(children))
        row.active = body.active
    if "default_unit" in sent:
        row.default_unit = body.default_unit
    if "handle_limit_days" in sent:
        row.handle_limit_days = body.handle_limit_days
    after = _as_record(row)
    if after != before:
        await _recorded(session, tenant_code, actor, ChangeAction.update, before, after)
        await session.commit()
    return (await visible_categories(session, tenant_code))[code]


async def _owned(session: AsyncSession, tenant_code: str, code: str) -> Category:
    """The category ``code`` as ``tenant_code`` sees it, if that tenant may change it."""
    # Locked: a concurrent change of the same category waits, so each records the value it really replaced.
    rows = (await session.scalars(select(Category).where(
        Category.code == code,
        or_(Category.owner_tenant.is_(None), Category.owner_tenant.in_(lineage(tenant_code)))).with_for_update())).all()
    if not rows:
        raise CategoryNotFound(code, tenant_code)
    # The most specific one: a level's own extension before the province's.
    row = max(rows, key=lambda r: len(r.owner_tenant or ""))
    owner = row.owner_tenant
    if owner != tenant_code and not (owner is None and len(tenant_code) == 2):
        raise CategoryNotYours(code, owner or tenant_code[:2], tenant_code)
    return row


async def _recorded(session: AsyncSession, tenant_code: str, actor: Actor, action: ChangeAction,
                    old: dict[str, object] | None, new: dict[str, object]) -> None:
    """The change in the history, in the change's transaction; every process reads the taxonomy again."""
    await record(session, Change(tenant=tenant_code, subject=ChangeSubject.category, key=str(new["code"]),
                                 action=action, actor=actor.user, actor_name=actor.name, old=old, new=new))
    await bump(session, CachedSetting.categories)
