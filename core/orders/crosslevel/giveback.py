"""退单 and 上报 up the tree: a child level gives the order back to the level that dispatched it.

Sent by: the child level's dispatcher, with a reason: a send-back (退单: not ours) or an escalation (上报:
beyond this level's power); or the timer's overdue policy escalating a record the child's centre holds.
The child's record closes (outcome ``returned`` or ``escalated``) and what it had passed on is withdrawn.

Arrives as: the level above's assignment to the child ends; if the child was the lead, the order waits with
the level above's centre — its clock stopped if it took the request (waiting with the dispatcher does not
count there; a level in between still answers to the deadline set above it) —, its co-handling
levels withdrawn; an extension the child had asked for is moot. The level above dispatches it again
(elsewhere or to the same level), answers it, or gives it further up. A co-handler stepping out moves only
its own assignment.
"""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.context import Context
from core.orders.crosslevel import withdraw
from core.orders.crosslevel.links import append, parent_path, record_below, send_on, when
from core.orders.crosslevel.messages import FromBelow
from core.orders.lifecycle import Status
from core.orders.models import Order
from core.sla.service import load_rules
from federation.outbox import Outgoing
from tenants.models import Tenant


class Returned(FromBelow):
    kind = "returned"

    reason: str | None = None


class Escalated(FromBelow):
    kind = "escalated"

    reason: str | None = None


def send(ctx: Context, order: Order, status: Status, reason: str | None) -> None:
    """This level's part ends: the order goes back up, to the level that dispatched it."""
    kind = Returned if status == Status.returned else Escalated
    ctx.outgoing.append(Outgoing(parent_path(order), kind(
        origin_number=order.origin_number, by_tenant=ctx.tenant.code, number=order.number, reason=reason)))


async def apply_returned(session: AsyncSession, tenant: Tenant, message: Returned, message_id: str) -> None:
    await _back_from_child(session, tenant, message, Status.returned, "return", message_id)


async def apply_escalated(session: AsyncSession, tenant: Tenant, message: Escalated, message_id: str) -> None:
    await _back_from_child(session, tenant, message, Status.escalated, "escalate", message_id)


async def _back_from_child(session: AsyncSession, tenant: Tenant, message: Returned | Escalated, status: Status,
                           action: str, message_id: str) -> None:
    found = await record_below(session, tenant, message, action, message_id)
    if found is None:
        return
    order, assignment = found
    child, now = message.by_tenant, when(message)
    payload = {"by_tenant": child, "number": message.number}
    if assignment.role == "co":  # a co-handler steps out: the order stays with its lead
        assignment.status, assignment.ended_at = status.value, now
        order.updated_at = now
        await append(session, tenant, order, action, order.status, child, {**payload, "role": "co"}, now,
                     reason=message.reason)
        return
    # The co-handling levels (协办) are told the order was taken back; the child giving it back knows.
    taken_back = await withdraw.take_back(session, order, tenant.code, status.value, now, tenant.code, keep={child})
    if order.handle_deadline is not None and order.origin_tenant is None:  # waiting with the dispatcher does not
        # count where the request was taken; a level below still answers to the deadline the level above set
        calendar = (await load_rules(session)).calendar
        order.paused_remaining_s = max(0, math.ceil(calendar.working_seconds_between(now, order.handle_deadline)))
    before = order.status
    order.status, order.assigned_tenant, order.pending_extension, order.updated_at = status, None, None, now
    event = await append(session, tenant, order, action, before, child, payload, now, reason=message.reason)
    await send_on(session, tenant, event, taken_back)
