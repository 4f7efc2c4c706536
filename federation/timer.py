"""The deadline timer: overdue orders marked (超期) and urged (督办) automatically, once each, by policy.

One scan over all tenants (a few UNION ALL queries over the schemas, not a sleep per order)
finds open orders past their handling deadline. Each gets an ``overdue`` event the moment it is
late (the assessment counts it against its period even while it stays open); those late by at
least ``auto_urge_after_hours`` are urged through the service layer as the tenant's own
supervisor would, which also carries the urging down to a child level holding it. The order
remembers both, so neither happens twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from core.actors import Actor, Role
from core.categories.service import CategoryStore
from core.config import Settings
from core.db import Database
from core.orders.lifecycle import OPEN, Action
from core.orders.models import Order
from core.orders.schemas import ActionRequest
from core.orders.service import Context, act, mark_overdue
from core.sla.service import SlaStore
from tenants.codes import validate_code
from tenants.models import Tenant
from tenants.service import tenant_query

BATCH = 500
REASON = "超期自动督办 (overdue: urged automatically)"


AUTO_URGED = "NOT coalesce((extra->>'auto_urged')::boolean, false)"
NOT_MARKED = "coalesce(extra->'assess'->>'od', '0') <> '1'"


async def overdue(db: Database, after_hours: float, limit: int = 1000,
                  condition: str = AUTO_URGED) -> list[tuple[str, str]]:
    """(tenant code, order number) of open orders overdue by ``after_hours`` and still meeting ``condition``."""
    statuses = ", ".join(f"'{s.value}'" for s in OPEN)
    async with db.engine.connect() as conn:
        codes = [c for (c,) in (await conn.execute(text(
            "SELECT code FROM public.tenants WHERE status = 'active' ORDER BY path"))).all()]
        found: list[tuple[str, str]] = []
        for start in range(0, len(codes), BATCH):
            parts = [
                f"(SELECT '{code}', number FROM \"t_{validate_code(code)}\".orders WHERE status IN ({statuses}) "
                f"AND handle_deadline < now() - make_interval(secs => {float(after_hours) * 3600}) "
                f"AND {condition} LIMIT 100)"
                for code in codes[start:start + BATCH]]
            found += [(c, n) for c, n in (await conn.exec_driver_sql(" UNION ALL ".join(parts))).all()]
            if len(found) >= limit:
                break
    return found[:limit]


async def _system_actor(db: Database, code: str) -> tuple[Tenant, Actor] | None:
    """The tenant and the timer acting as its own supervisor (None if the tenant is gone)."""
    async with db.shared_session() as session:
        tenant: Tenant | None = await session.scalar(tenant_query(code))
    if tenant is None:
        return None
    return tenant, Actor(user="system:timer", tenant=code, roles=frozenset({Role.supervisor}), home=tenant.path)


async def mark_all_overdue(db: Database, sla: SlaStore, categories: CategoryStore) -> int:
    """Give every open order past its time limit its ``overdue`` event; returns how many were marked."""
    marked = 0
    for code, number in await overdue(db, 0.0, condition=NOT_MARKED):
        found = await _system_actor(db, code)
        if found is None:
            continue
        tenant, actor = found
        async with db.tenant_session(tenant.schema_name) as session:
            ctx = Context(session=session, tenant=tenant, actor=actor, rules=await sla.rules(session),
                          categories=await categories.visible(session, code), now=datetime.now(UTC))
            marked += await mark_overdue(ctx, number)
            await session.commit()
    return marked


async def urge_overdue(db: Database, settings: Settings, sla: SlaStore, categories: CategoryStore) -> int:
    """Urge every order overdue by policy; returns how many were urged."""
    urged = 0
    for code, number in await overdue(db, settings.auto_urge_after_hours):
        found = await _system_actor(db, code)
        if found is None:
            continue
        tenant, actor = found
        async with db.tenant_session(tenant.schema_name) as session:
            ctx = Context(session=session, tenant=tenant, actor=actor, rules=await sla.rules(session),
                          categories=await categories.visible(session, code), now=datetime.now(UTC))
            order: Order = await act(ctx, number, Action.urge, ActionRequest(reason=REASON))
            order.extra = {**(order.extra or {}), "auto_urged": True}
            await session.commit()
        urged += 1
    return urged
