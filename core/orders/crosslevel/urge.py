"""督办 down to whoever holds the order now, however deep.

Taken by: a supervisor of the level whose record it is, or of any level above it (a province supervisor
urging a city's order), on any open record; and by the timer, once, on an overdue record held at its own
level, by the overdue policy in force there.

Travels: each level counts the urge on its record (every level on the way is answerable for the order);
a level whose record is with a child level passes the urge on to that child, and so on down to the level
that holds it (its unit or its centre). A level holding the order itself keeps it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.context import Context
from core.orders.crosslevel.links import append, child_path, in_order, live_child, record_from_above, send_on, when
from core.orders.crosslevel.messages import FromAbove
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant


class Urge(FromAbove):
    kind = "urge"

    reason: str | None = None


async def _onward(session: AsyncSession, tenant_code: str, order: Order, by_tenant: str,
                  reason: str | None) -> list[Outgoing]:
    """The urge to the child level holding the order, if one does."""
    child = live_child(rows.assignments(session, order))
    if child is None:
        return []
    return [Outgoing(await child_path(session, child), Urge(
        origin_tenant=tenant_code, origin_number=order.number, by_tenant=by_tenant, reason=reason))]


async def urge(ctx: Context, order: Order, reason: str | None) -> dict[str, object]:
    """The staff's (or the timer's) urge on this level's record."""
    order.urge_count += 1
    ctx.outgoing += await _onward(ctx.session, ctx.tenant.code, order, ctx.actor.tenant, reason)
    return {"urge_count": order.urge_count, "by_tenant": ctx.actor.tenant}


async def apply(session: AsyncSession, tenant: Tenant, message: Urge, message_id: str) -> None:
    """Counted whenever it arrives (urges do not undo one another), and passed on down."""
    order = await record_from_above(session, tenant, message)
    in_order(order, message.origin_tenant, message.seq)
    order.urge_count += 1
    order.updated_at = now = when(message)
    event = await append(session, tenant, order, "urge", order.status, message.by_tenant,
                         {"by_tenant": message.by_tenant, "urge_count": order.urge_count}, now, reason=message.reason)
    await send_on(session, tenant, event, await _onward(session, tenant.code, order, message.by_tenant,
                                                        message.reason))
