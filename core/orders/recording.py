"""What every step on an order leaves behind: its event in the order's hash-chained log (with the assessment
fact the event makes, 考核事实), and the messages it sends to other levels, into the outbox with the event."""

from __future__ import annotations

from typing import Any

from core.orders.context import Context
from core.orders.crosslevel.messages import message_id
from core.orders.events import append_event
from core.orders.facts import emit as emit_fact
from core.orders.models import Order, OrderEvent
from federation.outbox import enqueue


async def record(ctx: Context, order: Order, action: str, before: str | None, reason: str | None,
                 payload: dict[str, Any], fact_extra: dict[str, Any] | None = None) -> OrderEvent:
    """The step's event on the order, and the assessment fact it makes."""
    # No flush here: the order's changes, its new event and the outbox rows go to the database at commit.
    event = append_event(ctx.session, order, action=action, from_status=before, actor=ctx.actor, now=ctx.now,
                         reason=reason, payload=payload)
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event, fact_extra)
    return event


async def send(ctx: Context, event: OrderEvent) -> None:
    """The action's messages to other levels, into the outbox with its event (same transaction)."""
    for index, outgoing in enumerate(ctx.outgoing):
        message = outgoing.message
        # When it happened here: the receiving level records the step at this time, not at arrival; and where
        # it is in this record's history: the receiver tells a late message from a newer one by it.
        message.at = message.at or ctx.now  # type: ignore[attr-defined]
        if message.seq is None:  # type: ignore[attr-defined]
            message.seq = event.seq  # type: ignore[attr-defined]
        # The event's id is the first message's id: a re-published message is recognised downstream.
        await enqueue(ctx.session, message_id(event.event_id, index), ctx.tenant.code, outgoing)
