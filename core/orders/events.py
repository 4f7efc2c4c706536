"""The event log (工单流转记录): append-only, each event hashing its predecessor.

hash = SHA-256(previous hash ‖ canonical JSON of the event's fields). Changing, removing or
reordering any event breaks every hash after it; ``verify_chain`` names the first that breaks. The actor's
name (t0011) is one of the fields only when the event has one: chains written before it existed still verify.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.lifecycle import EventKind
from core.orders.models import Order, OrderEvent, transient
from iam.actors import Actor


def event_digest(prev_hash: bytes | None, number: str, fields: dict[str, Any]) -> bytes:
    body = json.dumps({"order": number, **fields}, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256((prev_hash or b"") + body.encode()).digest()


def _fields(event: OrderEvent) -> dict[str, Any]:
    fields = {
        "event_id": str(event.event_id), "seq": event.seq, "action": event.action,
        "from_status": event.from_status, "to_status": event.to_status, "actor": event.actor,
        "actor_unit_id": event.actor_unit_id, "actor_tenant": event.actor_tenant, "reason": event.reason,
        "payload": event.payload,
        # In UTC: the database hands timestamps back in UTC, whatever zone they were written in.
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
    }
    if event.actor_name is not None:
        fields["actor_name"] = event.actor_name
    return fields


def person_name(actor: Actor) -> str | None:
    """The name an event records for its actor: a person's (from the token), never a level's or a process's
    (``tenant:4101``, ``system:timer``: their names are read when the history is shown)."""
    if not actor.name or ":" in actor.user:
        return None
    return actor.name[:100]


def new_event(order: Order, *, action: str, from_status: str | None, actor: Actor, now: datetime,
              reason: str | None = None, payload: dict[str, Any] | None = None) -> OrderEvent:
    """The next event of an order, hashed onto the chain, which it becomes the tip of.

    ``order.id`` must be known, and the order read to change it in the step (locked, or with its version:
    its write then checks that the row, and so the tip, did not change), or added in it: the tip is read from it.
    """
    event = transient(OrderEvent, dict(
        # An event kind the vocabulary lacks would reach the API's documents as a word no client knows: refused here.
        event_id=uuid.uuid4(), order_id=order.id, seq=(order.event_seq or 0) + 1, action=EventKind(action).value,
        from_status=from_status, to_status=order.status, actor=actor.user, actor_name=person_name(actor),
        actor_unit_id=actor.unit_id,
        actor_tenant=actor.tenant, reason=reason, payload=payload or {}, occurred_at=now, prev_hash=order.event_hash,
    ))
    event.hash = event_digest(order.event_hash, order.number, _fields(event))
    order.event_seq, order.event_hash = event.seq, event.hash
    return event


def append_event(session: AsyncSession, order: Order, *, action: str, from_status: str | None, actor: Actor,
                 now: datetime, reason: str | None = None, payload: dict[str, Any] | None = None) -> OrderEvent:
    """The order's next event (``new_event``), written to its log when the caller's step ends."""
    event = new_event(order, action=action, from_status=from_status, actor=actor, now=now, reason=reason,
                      payload=payload)
    rows.add_event(session, event)
    return event


@dataclass(frozen=True)
class BrokenEvent:
    number: str
    seq: int
    event_id: str
    problem: str


def verify_chain(number: str, events: Iterable[OrderEvent]) -> BrokenEvent | None:
    """The first event of one order whose hash, link or sequence does not hold, or None."""
    prev: bytes | None = None
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenEvent(number, event.seq, str(event.event_id), f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev:
            return BrokenEvent(number, event.seq, str(event.event_id), "does not link to the previous event")
        if event.hash != event_digest(prev, number, _fields(event)):
            return BrokenEvent(number, event.seq, str(event.event_id), "content does not match its hash")
        prev = event.hash
        expected_seq += 1
    return None
