"""Tenants' paths (their place in the tree, e.g. ``41/4101/410102``) by code, for addressing messages.

A dispatch reads one on its hot path, so they are kept per process: a code's path never changes (the
tree is the divisions' tree), and that a tenant is active is trusted for ACTIVE_TTL_S seconds, as every
request trusts its own tenant's row (``tenants.binding.RegistryCache``). A code not found, or not
active, is read again every time: a tenant provisioned a moment ago can be dispatched to at once.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from infra.unit_of_work import connection

ACTIVE_TTL_S = 5.0
_MAX_KEPT = 10_000  # more codes than a province has tenants: only a flood of bad codes fills it
_paths: dict[str, str] = {}
_active_since: dict[str, float] = {}  # code → when it was last read as active (time.monotonic)


async def tenant_paths(session: AsyncSession, codes: Collection[str], *, active: bool = False) -> dict[str, str]:
    """The paths of the tenants with these codes (only the active ones if ``active``). What is not kept is
    read on the session's own connection, as its unit of work reads (``infra.unit_of_work.connection``)."""
    now = time.monotonic()

    def kept(code: str) -> bool:
        if active:
            return now - _active_since.get(code, now - ACTIVE_TTL_S) < ACTIVE_TTL_S
        return code in _paths

    missing = [code for code in codes if not kept(code)]
    if missing:
        condition = " AND status = 'active'" if active else ""
        found = await (await connection(session)).fetch(
            f"SELECT code, path FROM public.tenants WHERE code = ANY($1::text[]){condition}", missing)
        if len(_paths) + len(found) > _MAX_KEPT:
            _paths.clear()
            _active_since.clear()
        for code, path in found:
            _paths[code] = path
            if active:
                _active_since[code] = now
    return {code: _paths[code] for code in codes if kept(code)}
