"""回复 up the tree: a child level finished its part and its answer goes to the level that dispatched it.

Sent by: the child level closing its record (办结: its reviewer approved its handler's reply), or answering
the order directly (直办) at its centre: ``answered``.

Arrives as: the level above's assignment to the child is replied, with the child's answer; if the child was
the lead, the level above's record waits for its own review (``replied``): its reviewer approves (and closes:
the reply goes on up, level by level, to the originator) or rejects (审核不通过: back down to the child,
``rework``). An extension the child had asked for is moot.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.attachments import AttachmentRef, received
from core.orders.context import Context
from core.orders.crosslevel.links import append, parent_path, record_below, when
from core.orders.crosslevel.messages import FromBelow
from core.orders.lifecycle import Status
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant


class Replied(FromBelow):
    kind = "replied"

    content: str | None = None
    answered: bool = False  # answered directly (直办) by the child's centre
    late: bool = False  # past the handling time limit
    # The files of the reply (附件): references to the shared blobs; the level above adds its own rows for them.
    attachments: list[AttachmentRef] = Field(default_factory=list)


def send(ctx: Context, order: Order, content: str | None, *, answered: bool, late: bool,
         attachments: list[AttachmentRef] | None = None) -> None:
    ctx.outgoing.append(Outgoing(parent_path(order), Replied(
        origin_number=order.origin_number, by_tenant=ctx.tenant.code, number=order.number, content=content,
        answered=answered, late=late, attachments=attachments or [])))


async def apply(session: AsyncSession, tenant: Tenant, message: Replied, message_id: str) -> None:
    found = await record_below(session, tenant, message, "reply", message_id)
    if found is None:
        return
    order, assignment = found
    now = when(message)
    assignment.status, assignment.replied_at, assignment.reply = "replied", now, message.content
    if assignment.signed_at is None:
        assignment.signed_at = now
    before = order.status
    if assignment.role == "lead":
        order.status = Status.replied
        if (order.pending_extension or {}).get("from_tenant") == message.by_tenant:
            order.pending_extension = None
    order.updated_at = now
    payload = {"by_tenant": message.by_tenant, "number": message.number, "content": message.content,
               "answered": message.answered, "late": message.late, "role": assignment.role}
    if message.attachments:
        payload["attachment_ids"] = await received(session, order.id, message.attachments, message.by_tenant)
    await append(session, tenant, order, "reply", before, message.by_tenant, payload, now)
