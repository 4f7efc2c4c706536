"""Binding a request to a tenant: ``{code}`` is checked against the registry before any schema is named.

No string from a request reaches SQL as an identifier: the path's code is validated for its
form, looked up in the registry, and only the registry's ``schema_name`` binds the session.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from infra.db import Database
from tenants.codes import CODE_PATTERN, is_valid_code
from tenants.errors import NotATenantCode, TenantDisabled, TenantNotFound, TenantNotReady
from tenants.models import Tenant, TenantStatus
from tenants.service import tenant_query


class RegistryCache:
    """Registry rows by code, per process, for a few seconds: every request resolves its tenant.

    A disabled or newly active tenant is seen within TTL_S seconds by every process.
    """

    TTL_S = 5.0

    def __init__(self) -> None:
        self._rows: dict[str, tuple[float, Tenant | None]] = {}

    async def get(self, db: Database, code: str) -> Tenant | None:
        hit = self._rows.get(code)
        if hit is not None and time.monotonic() - hit[0] < self.TTL_S:
            return hit[1]
        async with db.shared_session() as session:
            tenant = await session.scalar(tenant_query(code))
        if len(self._rows) > 10_000:
            self._rows.clear()
        self._rows[code] = (time.monotonic(), tenant)
        return tenant

    async def active(self, db: Database, code: str) -> Tenant:
        """The active tenant ``code``: 404 for an unknown one, 410 for a disabled one, 503 while it is provisioned."""
        tenant = await self.get(db, code)
        if tenant is None:
            raise TenantNotFound(code)
        if tenant.status == TenantStatus.disabled:
            raise TenantDisabled(code, tenant.name)
        if tenant.status != TenantStatus.active:
            raise TenantNotReady(code, tenant.name)
        return tenant


def get_database(request: Request) -> Database:
    return request.app.state.db


DatabaseDep = Annotated[Database, Depends(get_database)]


async def resolve_tenant(
    request: Request,
    db: DatabaseDep,
    code: Annotated[str, Path(description="The tenant's GB/T 2260 code, e.g. 4101.", max_length=9,
                              json_schema_extra={"pattern": CODE_PATTERN})],
) -> Tenant:
    """The active tenant named by ``{code}``; 400 for a malformed code, 404 for an unknown one."""
    if not is_valid_code(code):
        raise NotATenantCode(code)
    return await request.app.state.registry.active(db, code)


CurrentTenant = Annotated[Tenant, Depends(resolve_tenant)]


async def tenant_session(db: DatabaseDep, tenant: CurrentTenant) -> AsyncIterator[AsyncSession]:
    """A session whose tenant tables are the current tenant's schema."""
    async with db.tenant_session(tenant.schema_name) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session)]
