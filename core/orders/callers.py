"""A caller's history (来电历史): the citizen's earlier requests in this tenant's subtree, newest first.

A request is counted once, where it was taken: the records each level registered itself (``origin_tenant IS
NULL``), not the copies a level below keeps of a request dispatched to it. One statement: a UNION ALL over the
schemas of the tenant and of every active tenant below it, each branch an index probe (``ix_orders_citizen_phone``);
the subtree's schemas are kept per process for SUBTREE_TTL_S seconds, so a call costs one round trip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.models import Order, transient
from tenants.models import Tenant

SUBTREE_TTL_S = 60.0
COLUMNS = ("id", "number", "root_number", "origin_tenant", "origin_number", "origin_role", "query_code", "status",
           "outcome", "channel", "type", "category", "title", "urgency", "address", "division_code", "citizen_name",
           "citizen_phone", "anonymous", "lead_unit_id", "assigned_tenant", "sign_deadline", "handle_deadline",
           "deadline_estimated", "reopen_count", "urge_count", "repeat_count", "satisfaction", "created_at",
           "closed_at", "accepted_at")
_subtrees: dict[str, tuple[float, tuple[tuple[str, str], ...]]] = {}


@dataclass
class History:
    total: int
    recent: int  # of them, since the window's start
    items: list[tuple[str, Order]]  # (tenant code, the order), newest first


async def subtree(session: AsyncSession, tenant: Tenant) -> tuple[tuple[str, str], ...]:
    """(code, schema) of the tenant and of every active tenant below it, kept for SUBTREE_TTL_S seconds."""
    hit = _subtrees.get(tenant.code)
    if hit is not None and time.monotonic() - hit[0] < SUBTREE_TTL_S:
        return hit[1]
    rows = (await session.execute(text(
        "SELECT code, schema_name FROM public.tenants WHERE (code = :c OR path LIKE :below) AND status = 'active' "
        "ORDER BY code"), {"c": tenant.code, "below": f"{tenant.path}/%"})).all()
    found = tuple((code, schema) for code, schema in rows)
    if len(_subtrees) > 5000:
        _subtrees.clear()
    _subtrees[tenant.code] = (time.monotonic(), found)
    return found


@lru_cache(maxsize=512)
def _history_sql(tenants: tuple[tuple[str, str], ...]) -> str:
    columns = ", ".join(COLUMNS)
    branches = " UNION ALL ".join(
        f"SELECT '{code}' AS tenant_code, {columns} FROM \"{schema}\".orders "
        "WHERE citizen_phone = :phone AND origin_tenant IS NULL" for code, schema in tenants)
    return (f"SELECT h.*, count(*) OVER () AS total, count(*) FILTER (WHERE created_at >= :since) OVER () AS recent "
            f"FROM ({branches}) AS h ORDER BY created_at DESC, tenant_code, id DESC LIMIT :limit")


async def history(session: AsyncSession, tenant: Tenant, phone: str, now: datetime, window_days: int,
                  limit: int) -> History:
    """The caller's requests taken in the tenant's subtree (see the module's docstring)."""
    tenants = await subtree(session, tenant)
    if not tenants:
        return History(0, 0, [])
    rows = (await session.execute(text(_history_sql(tenants)), {
        "phone": phone, "since": now - timedelta(days=window_days), "limit": limit})).mappings().all()
    if not rows:
        return History(0, 0, [])
    items = [(row["tenant_code"], transient(Order, {c: row[c] for c in COLUMNS})) for row in rows]
    return History(int(rows[0]["total"]), int(rows[0]["recent"]), items)


async def count(session: AsyncSession, tenant: Tenant, phone: str, now: datetime, window_days: int) -> int:
    """How many requests the caller made in the subtree (the incoming call's screen shows it)."""
    return (await history(session, tenant, phone, now, window_days, 1)).total
