"""What every cross-level step shares: finding the record a message is about, refusing a sender that is
not on the order's chain, telling a late message from a newer one, recording the step, sending on.

The link between two levels about one order is the parent's record (``origin_tenant``, ``origin_number``
on the child's record) and the parent's assignment to the child level. A message down names the parent's
record; a message up names it too (``origin_number``) and the child's own (``number``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.crosslevel.messages import FromAbove, FromBelow, Message
from core.orders.events import append_event
from core.orders.facts import emit as emit_fact
from core.orders.models import Assignment, Order, OrderEvent
from federation.outbox import Outgoing, enqueue
from federation.transport import NotYet, PermanentError
from iam.actors import Actor
from tenants.codes import is_descendant, lineage
from tenants.models import Tenant
from tenants.paths import tenant_paths

log = logging.getLogger(__name__)
# What the assessment rules read of a step that arrived late (``superseded``): counters do not depend on the
# order messages arrive in.
_SUPERSEDED_KEPT = ("late", "satisfaction", "resolved", "role")


# ---- sending ------------------------------------------------------------------------------------------------


async def child_path(session: AsyncSession, code: str) -> str:
    """The path of a tenant below (its subject's last tokens)."""
    return (await tenant_paths(session, [code]))[code]


def parent_path(order: Order) -> str:
    """The path of the level that dispatched this record here (kept on the record when it arrived)."""
    return order.origin_path or order.origin_tenant or ""


def handlers_below(assignments: Sequence[Assignment], closed_at: datetime | None) -> list[str]:
    """The child levels whose answer closed the order (their reply, as lead or co-handler, accepted when the
    record was last closed here), oldest first: where a rating goes. A level whose earlier answer was reworked,
    or that gave the order back, is not rated for the answer another level gave."""
    return list(dict.fromkeys(a.tenant_code for a in assignments if a.tenant_code and a.replied_at is not None
                              and a.status == "done" and a.ended_at == closed_at))


def live_child(assignments: Sequence[Assignment]) -> str | None:
    """The child level holding the order now (its live lead assignment, not yet replied), if one does."""
    lead = next((a for a in reversed(assignments) if a.role == "lead" and a.ended_at is None), None)
    if lead is None or lead.tenant_code is None or lead.status not in ("dispatched", "signed"):
        return None
    return lead.tenant_code


# ---- receiving ----------------------------------------------------------------------------------------------


def sender_actor(code: str) -> Actor:
    """The actor of a step a message brought: the sending level itself."""
    return Actor(user=f"tenant:{code}", tenant=code, roles=frozenset())


def when(message: Message) -> datetime:
    """When the step happened at the sending level (its commit time), or now for messages without it."""
    return message.at or datetime.now(UTC)


def refuse_from_above(tenant: Tenant, message: FromAbove) -> None:
    """Only the chain above may send down: the sending level above this one, naming its own record, for a
    person of its own or of a level above it. Anything else is dead-lettered with the reason."""
    if not is_descendant(tenant.code, message.origin_tenant):
        raise PermanentError(f"refused {message.kind}: {message.origin_tenant} is not above {tenant.code}")
    if not message.origin_number.startswith(f"{message.origin_tenant}-"):
        raise PermanentError(f"refused {message.kind}: {message.origin_number} is not a record of "
                             f"{message.origin_tenant}")
    if message.by_tenant not in lineage(message.origin_tenant):
        raise PermanentError(f"refused {message.kind}: {message.by_tenant} is not on the chain above "
                             f"{message.origin_tenant}")


def refuse_from_below(tenant: Tenant, message: FromBelow) -> None:
    """Only a level below may send up, about a record of this level and its own record of it."""
    if not is_descendant(message.by_tenant, tenant.code):
        raise PermanentError(f"refused {message.kind}: {message.by_tenant} is not below {tenant.code}")
    if not message.origin_number.startswith(f"{tenant.code}-"):
        raise PermanentError(f"refused {message.kind}: {message.origin_number} is not a record of {tenant.code}")
    if not message.number.startswith(f"{message.by_tenant}-"):
        raise PermanentError(f"refused {message.kind}: {message.number} is not a record of {message.by_tenant}")


async def append(session: AsyncSession, tenant: Tenant, order: Order, action: str, before: str | None, by: str,
                 payload: dict[str, Any], at: datetime, reason: str | None = None) -> OrderEvent:
    """The step into this level's record: an event of the sending level, and its assessment fact."""
    event = append_event(session, order, action=action, from_status=before, actor=sender_actor(by), now=at,
                         reason=reason, payload=payload)
    await emit_fact(session, tenant.code, tenant.path, order, event)
    return event


async def send_on(session: AsyncSession, tenant: Tenant, event: OrderEvent, messages: list[Outgoing]) -> None:
    """Messages this level sends on because of a step it applied, into its outbox in the same transaction;
    their ids derive from the event's, so a second application of the step could not send them twice (several
    of one kind to one level, e.g. urges passed on, are told apart by their place)."""
    seen: dict[str, int] = {}
    for outgoing in messages:
        message = outgoing.message
        if isinstance(message, Message):
            message.at = message.at or event.occurred_at
            message.seq = message.seq if message.seq is not None else event.seq
        name = f"{outgoing.receiver_path}/{outgoing.kind}"
        seen[name] = seen.get(name, 0) + 1
        suffix = f"/{seen[name]}" if seen[name] > 1 else ""
        await enqueue(session, uuid.uuid5(event.event_id, name + suffix), tenant.code, outgoing)


def in_order(order: Order, sender: str, seq: int | None) -> bool:
    """Whether a message from ``sender`` (the level above, or a child) is not older than the last one from it
    applied to the record; if so, it becomes the last. Messages without ``seq`` count as in order."""
    seen = order.received_seq or {}
    if seq is None:
        return True
    if seq < seen.get(sender, 0):
        return False
    order.received_seq = {**seen, sender: seq}
    return True


async def superseded(session: AsyncSession, tenant: Tenant, order: Order, action: str, message: Message, by: str,
                     message_id: str, kept: dict[str, Any] | None = None) -> None:
    """A step that arrived after a newer one over the same link (or after the link ended): into the timeline,
    no change of state."""
    log.info("message %s (%s from %s) arrived after a newer one: recorded, no change", message_id, message.kind, by)
    values = {key: value for key, value in (kept or {}).items() if key in _SUPERSEDED_KEPT}
    number = getattr(message, "number", None)
    payload = {"by_tenant": by, **({"number": number} if number else {}), **values, "superseded": True}
    await append(session, tenant, order, action, order.status, by, payload, when(message),
                 reason=getattr(message, "reason", None))


async def record_from_above(session: AsyncSession, tenant: Tenant, message: FromAbove) -> Order:
    """This level's record of the order a message from above is about. Not there: its dispatch has not been
    applied yet (it may be on another worker, or be redelivered later), so NotYet, not dead."""
    refuse_from_above(tenant, message)
    order = await rows.read_for_change(session, origin=(message.origin_tenant, message.origin_number))
    if order is None:
        raise NotYet(f"no record here of {message.origin_number} yet")
    return order


async def record_below(session: AsyncSession, tenant: Tenant, message: FromBelow, action: str, message_id: str,
                       kept: dict[str, Any] | None = None) -> tuple[Order, Assignment] | None:
    """The record here that the sending child level holds, and the child's live assignment; None if the
    message was superseded by a newer one from that child, or came after the order was taken back from it
    (then it is only recorded)."""
    refuse_from_below(tenant, message)
    order = await rows.read_for_change(session, number=message.origin_number)
    if order is None:
        raise PermanentError(f"no order {message.origin_number} here")
    child = message.by_tenant
    current = in_order(order, child, message.seq)
    assignment = next((a for a in rows.assignments(session, order) if a.tenant_code == child), None) \
        if current else None
    if assignment is not None:
        return order, assignment
    given = [a for a in rows.assignments(session, order, live=False) if a.tenant_code == child]
    if not given:
        raise PermanentError(f"refused {message.kind}: order {order.number} was never with {child}")
    await superseded(session, tenant, order, action, message, child, message_id, {**(kept or {}),
                                                                                  "role": given[-1].role})
    return None
