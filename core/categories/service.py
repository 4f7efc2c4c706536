"""The taxonomy as a tenant sees it: the province's categories plus its lineage's extensions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.categories.errors import CategoryExists, UnknownParentCategory
from core.categories.models import Category
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
    """Per-process cache of what each tenant sees; a change elsewhere shows within TTL_S seconds."""

    TTL_S = 30.0

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, dict[str, CategoryView]]] = {}

    async def visible(self, session: AsyncSession, tenant_code: str) -> dict[str, CategoryView]:
        hit = self._cache.get(tenant_code)
        if hit is None or time.monotonic() - hit[0] > self.TTL_S:
            hit = (time.monotonic(), await visible_categories(session, tenant_code))
            self._cache[tenant_code] = hit
        return hit[1]

    def invalidate(self) -> None:
        self._cache.clear()


async def add_category(session: AsyncSession, tenant_code: str, code: str, name: str, parent_code: str | None,
                       default_unit: str | None, handle_limit_days: int | None) -> CategoryView:
    """A tenant's extension of the taxonomy; its code must be new in the tenant's lineage."""
    visible = await visible_categories(session, tenant_code)
    if code in visible:
        raise CategoryExists(code, tenant_code)
    if parent_code is not None and parent_code not in visible:
        raise UnknownParentCategory(parent_code)
    session.add(Category(code=code, name=name, parent_code=parent_code, owner_tenant=tenant_code, active=True,
                         default_unit=default_unit, handle_limit_days=handle_limit_days))
    await session.commit()
    return (await visible_categories(session, tenant_code))[code]
