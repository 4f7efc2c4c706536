"""回访 results down to every level that handled the order.

Taken by: the caller (回访员) of the originating level, after the order is closed: the citizen's
satisfaction (满意度) and whether the problem was solved. An unsatisfied citizen also sends the order back
for rework (``rework``, 重办).

Travels: from each level to every child level whose answer closed the order there — its lead and its
co-handlers (协办) whose reply was accepted when it was last closed — and on down from each of them: every
level and unit that worked on the answer is rated by the citizen's word (the assessment of each level counts
it for the unit that handled it there). A rating carries no personal data.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.context import Context
from core.orders.crosslevel.links import (
    append,
    child_path,
    handlers_below,
    in_order,
    record_from_above,
    send_on,
    superseded,
    when,
)
from core.orders.crosslevel.messages import FromAbove
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant


class Rated(FromAbove):
    kind = "rated"

    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    resolved: bool | None = None


async def _onward(session: AsyncSession, tenant_code: str, order: Order, by_tenant: str, satisfaction: str,
                  resolved: bool | None) -> list[Outgoing]:
    return [Outgoing(await child_path(session, child), Rated(
        origin_tenant=tenant_code, origin_number=order.number, by_tenant=by_tenant, satisfaction=satisfaction,
        resolved=resolved)) for child in handlers_below(rows.assignments(session, order, live=False),
                                                     order.closed_at)]


async def send(ctx: Context, order: Order, satisfaction: str, resolved: bool) -> None:
    """The citizen's rating to the levels below that handled the order (sent before any rework it causes)."""
    ctx.outgoing += await _onward(ctx.session, ctx.tenant.code, order, ctx.actor.tenant, satisfaction, resolved)


async def apply(session: AsyncSession, tenant: Tenant, message: Rated, message_id: str) -> None:
    order = await record_from_above(session, tenant, message)
    kept = {"satisfaction": message.satisfaction, "resolved": message.resolved}
    if not in_order(order, message.origin_tenant, message.seq):
        await superseded(session, tenant, order, "revisit", message, message.by_tenant, message_id, kept)
        return
    order.satisfaction = message.satisfaction
    order.updated_at = now = when(message)
    event = await append(session, tenant, order, "revisit", order.status, message.by_tenant,
                         {"by_tenant": message.by_tenant, **kept}, now)
    await send_on(session, tenant, event, await _onward(session, tenant.code, order, message.by_tenant,
                                                        message.satisfaction, message.resolved))
