"""签收 up the tree: a child level's centre signed the order the level above dispatched to it.

Sent by: the child level's dispatcher signing its record; or its first step on a record it had not
signed (dispatching it on, answering it directly), which signs it on the way.

Arrives as: the level above's assignment to the child is signed (in time or late, as the child saw it);
if the child is the lead, the level above's record is signed (办理中) too. A co-handler's (协办) sign moves
only its own assignment.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.context import Context
from core.orders.crosslevel.links import append, parent_path, record_below, when
from core.orders.crosslevel.messages import FromBelow
from core.orders.lifecycle import Status
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant


class Signed(FromBelow):
    kind = "signed"

    late: bool = False  # signed after the sign deadline the level above set


def accept(ctx: Context, order: Order) -> bool:
    """签收 of a record dispatched here from above: the level above hears of it. Returns whether it was late."""
    late = order.sign_deadline is not None and ctx.now > order.sign_deadline
    order.accepted_at = ctx.now
    ctx.outgoing.append(Outgoing(parent_path(order), Signed.model_construct(  # validated where it is read
        origin_number=order.origin_number, by_tenant=ctx.tenant.code, number=order.number, late=late)))
    return late


async def apply(session: AsyncSession, tenant: Tenant, message: Signed, message_id: str) -> None:
    found = await record_below(session, tenant, message, "sign", message_id, {"late": message.late})
    if found is None:
        return
    order, assignment = found
    now = when(message)
    if assignment.signed_at is None:  # a sign that came with a step after it (its reply) moves nothing back
        assignment.signed_at = now
        if assignment.status == "dispatched":
            assignment.status = "signed"
    before = order.status
    if order.status == Status.dispatched and assignment.role == "lead":
        order.status = Status.signed
    order.updated_at = now
    await append(session, tenant, order, "sign", before, message.by_tenant,
                 {"by_tenant": message.by_tenant, "number": message.number, "late": message.late,
                  "role": assignment.role}, now)
