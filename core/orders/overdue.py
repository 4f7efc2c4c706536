"""The deadline timer: overdue orders marked (超期), urged (督办) and escalated (上报) automatically, by policy.

One scan over all tenants (a few UNION ALL queries over the schemas, not a sleep per order)
finds open orders past their handling deadline. Each level's record gets an ``overdue`` event the moment
it is late (the assessment counts it against its period even while it stays open; every level times the
same deadline, extensions included). Then the overdue policy in force at the tenant holding the order
(``core.orders.overdue_policy``) says how late it may run before it is urged and before it is escalated; both go
through the service layer as that tenant's own supervisor would, so escalation reaches the level above.
The order remembers each, so none happens twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import text

from core.categories.service import CategoryStore
from core.orders.facts import NOT_COUNTED_OVERDUE
from core.orders.lifecycle import OPEN, Action
from core.orders.models import Order
from core.orders.overdue_policy import OverduePolicy, load
from core.orders.schemas import ActionRequest
from core.orders.service import Context, act, auto_escalate, mark_overdue
from core.orders.step import order_step
from core.sla.service import SlaStore
from iam.actors import Actor, Role
from infra.db import Database
from infra.settings import Settings
from tenants.codes import validate_code
from tenants.models import Tenant
from tenants.service import tenant_query

BATCH = 500
REASON = "超期自动督办 (overdue: urged automatically)"
ESCALATE_REASON = "超期自动上报 (overdue: escalated automatically)"

NOT_MARKED = NOT_COUNTED_OVERDUE  # the assessment's own state: an order closed late was counted already
# Urged where it is held: a record with a child level is urged there, by that level's own timer and policy (an
# urge from above would be passed down to it anyway, and the holder would be urged twice).
NOT_URGED = ("auto_urged_at IS NULL "
             "AND NOT (status IN ('dispatched', 'signed') AND assigned_tenant IS NOT NULL)")
# Held here (by a unit, or by this centre for a parent level), not with a child level.
ESCALATABLE = ("status IN ('dispatched', 'signed') AND assigned_tenant IS NULL "
               "AND auto_escalated_at IS NULL")


async def overdue(db: Database, after_hours: float, limit: int = 1000,
                  condition: str = NOT_URGED) -> list[tuple[str, str, datetime]]:
    """(tenant, number, deadline) of open orders overdue by ``after_hours`` and still meeting ``condition``."""
    statuses = ", ".join(f"'{s.value}'" for s in OPEN)
    async with db.engine.connect() as conn:
        codes = [c for (c,) in (await conn.execute(text(
            "SELECT code FROM public.tenants WHERE status = 'active' ORDER BY path"))).all()]
        found: list[tuple[str, str, datetime]] = []
        for start in range(0, len(codes), BATCH):
            parts = [
                f"(SELECT '{code}', number, handle_deadline FROM \"t_{validate_code(code)}\".orders "
                f"WHERE status IN ({statuses}) "
                f"AND handle_deadline < now() - make_interval(secs => {float(after_hours) * 3600}) "
                f"AND {condition} LIMIT 100)"
                for code in codes[start:start + BATCH]]
            found += [(c, n, d) for c, n, d in (await conn.exec_driver_sql(" UNION ALL ".join(parts))).all()]
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


async def _each(db: Database, sla: SlaStore, categories: CategoryStore, found: list[tuple[str, str, datetime]],
                step: Callable[[Context, str], Awaitable[bool]]) -> int:
    """Run ``step`` on each order in its own locking step as the timer; returns how many it changed."""
    done = 0
    actors: dict[str, tuple[Tenant, Actor] | None] = {}  # one registry read per tenant, not per order
    for code, number, _ in found:
        if code not in actors:
            actors[code] = await _system_actor(db, code)
        actor = actors[code]
        if actor is None:
            continue
        tenant, timer = actor
        async with db.tenant_session(tenant.schema_name) as session:
            ctx = Context(session=session, tenant=tenant, actor=timer, rules=await sla.rules(session),
                          categories=await categories.visible(session, code), now=datetime.now(UTC))
            async with order_step(session):
                done += bool(await step(ctx, number))
    return done


async def mark_all_overdue(db: Database, sla: SlaStore, categories: CategoryStore) -> int:
    """Give every open order past its time limit its ``overdue`` event; returns how many were marked."""
    return await _each(db, sla, categories, await overdue(db, 0.0, condition=NOT_MARKED), mark_overdue)


async def _due(db: Database, settings: Settings, condition: str,
               hours: Callable[[OverduePolicy], float | None]) -> list[tuple[str, str, datetime]]:
    """Orders meeting ``condition`` that are late by their own tenant's policy."""
    async with db.engine.connect() as conn:
        policies = await load(conn, settings.auto_urge_after_hours)
    thresholds = [h for h in [hours(policies.default), *map(hours, policies.rows.values())] if h is not None]
    if not thresholds:
        return []
    now = datetime.now(UTC)
    found = []
    for code, number, deadline in await overdue(db, min(thresholds), condition=condition):
        limit = hours(policies.at(code)[0])
        if limit is not None and (now - deadline).total_seconds() >= limit * 3600:
            found.append((code, number, deadline))
    return found


async def urge_overdue(db: Database, settings: Settings, sla: SlaStore, categories: CategoryStore) -> int:
    """Urge every order overdue by its policy; returns how many were urged."""
    async def urge(ctx: Context, number: str) -> bool:
        order: Order = await act(ctx, number, Action.urge, ActionRequest(reason=REASON))
        order.auto_urged_at = ctx.now
        return True

    found = await _due(db, settings, NOT_URGED, lambda p: p.urge_after_hours)
    return await _each(db, sla, categories, found, urge)


async def escalate_overdue(db: Database, settings: Settings, sla: SlaStore, categories: CategoryStore) -> int:
    """Escalate every order overdue by its policy's escalation limit; returns how many were escalated."""
    async def escalate(ctx: Context, number: str) -> bool:
        return await auto_escalate(ctx, number, ESCALATE_REASON)

    found = await _due(db, settings, ESCALATABLE, lambda p: p.escalate_after_hours)
    return await _each(db, sla, categories, found, escalate)
