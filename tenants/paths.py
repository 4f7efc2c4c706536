"""Tenants' paths (their place in the tree, e.g. ``41/4101/410102``) by code, for addressing messages."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import driver_connection


async def tenant_paths(session: AsyncSession, codes: Collection[str], *, active: bool = False) -> dict[str, str]:
    """The paths of the tenants with these codes (only the active ones if ``active``), read inside the session's
    transaction on its own connection: a dispatch reads one on its hot path."""
    condition = " AND status = 'active'" if active else ""
    found = await (await driver_connection(session)).fetch(
        f"SELECT code, path FROM public.tenants WHERE code = ANY($1::text[]){condition}", list(codes))
    return {code: path for code, path in found}
