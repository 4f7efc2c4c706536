"""What each message does where it arrives: the cross-level protocols.

Down (to a descendant):  dispatch — the child gets its own record of the order, awaiting its sign;
                         urge — the child's record is urged (督办), its handler sees it at once;
                         rework — a rejected reply or an unsatisfied citizen: handle it again (重办);
                         rated — the citizen's satisfaction reaches the level that handled it;
                         withdraw — the order was taken back (撤回: dispatched elsewhere, merged,
                         closed): the child's record closes, and so on down.
Up (to the originator):  signed / returned / replied / escalated — the originator's record follows.

A child tenant dispatched to as co-handler (协办, ``role: co``) keeps its own record like a lead; its
sign, reply or send-back changes only its assignment at the originator, not the order's state.

Every effect appends an event to the receiver's order, so each level keeps its own record of its
part and the timeline shows who at which level did what.

Messages may arrive out of order: two workers share a consumer, and a message a killed worker held
comes back only after its ack wait. So every message carries ``seq``, its sender's record's event
number, and the receiver remembers on its record the newest it applied from each sender
(``extra.seq_from``: the level above, or each child). A message older than that is *superseded*: its
step still goes into the timeline, but it changes no state (a "signed" arriving after the "replied"
must not make the order signed again). A message whose record has not arrived yet (an urge that
overtook its dispatch) raises ``NotYet`` and is redelivered until it has.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.actors import Actor
from core.assessment.facts import emit as emit_fact
from core.orders import rows
from core.orders.events import append_event
from core.orders.lifecycle import OPEN, WITHDRAWN, Status
from core.orders.models import Assignment, Order, OrderEvent, transient
from core.orders.service import new_query_code
from core.orders.text import search_document
from core.orders.withdrawal import end_assignments, withdrawals
from core.sla.calendar import CST
from core.sla.service import load_rules
from federation.outbox import Outgoing, enqueue
from federation.transport import Applier, NotYet, PermanentError
from tenants.models import Tenant

log = logging.getLogger(__name__)
_SUPERSEDED_KEPT = ("number", "origin_number", "late", "satisfaction", "resolved", "content")

COPIED = ("channel", "type", "category", "title", "content", "address", "division_code", "citizen_name",
          "citizen_phone", "anonymous", "callback", "urgency")


def _sender(code: str) -> Actor:
    return Actor(user=f"tenant:{code}", tenant=code, roles=frozenset())


def _at(message: dict[str, Any]) -> datetime:
    """When the step happened at the sending level (its commit time), or now for older messages."""
    return _when(message.get("at")) or datetime.now(UTC)


async def _append(session: AsyncSession, tenant: Tenant, order: Order, action: str, before: str | None, by: str,
                  payload: dict[str, Any], at: datetime, reason: str | None = None) -> OrderEvent:
    event = append_event(session, order, action=action, from_status=before, actor=_sender(by), now=at,
                         reason=reason, payload=payload)
    await emit_fact(session, tenant.code, tenant.path, order, event)
    return event


async def _take_back(session: AsyncSession, tenant: Tenant, order: Order, status: str, at: datetime, by: str,
                     keep: Collection[str] = ()) -> list[Outgoing]:
    """End the order's live assignments here; the ``withdraw`` messages (撤回) to the child levels whose
    part was not finished, to be sent with the step's event (``_send``)."""
    children = end_assignments(session, order, status, at, keep)
    return await withdrawals(session, order, tenant.code, children, by, status)


async def _send(session: AsyncSession, tenant: Tenant, event: OrderEvent, messages: list[Outgoing]) -> None:
    """Messages this level sends on because of a step it applied, into its outbox in the same transaction;
    their ids derive from the event's, so a second application of the step could not send them twice."""
    for message in messages:
        message.payload.setdefault("at", event.occurred_at.isoformat())
        message.payload.setdefault("seq", event.seq)
        await enqueue(session, uuid.uuid5(event.event_id, message.receiver_path), tenant.code, message)


def _need(payload: dict[str, Any], kind: str, *keys: str) -> None:
    """A message without what its kind needs can never apply: PermanentError, not eight retries."""
    missing = [key for key in keys if payload.get(key) is None]
    if missing:
        raise PermanentError(f"malformed {kind} message: no {', '.join(missing)}")


def _in_order(order: Order, sender: str, payload: dict[str, Any]) -> bool:
    """Whether this message from ``sender`` (the level above, or a child) is not older than the last one
    from it applied to the record; if so, it becomes the last. Messages without ``seq`` (sent before it
    existed) count as in order."""
    seq, extra = payload.get("seq"), order.extra or {}
    seen = extra.get("seq_from") or {}
    if seq is None:
        return True
    if seq < seen.get(sender, 0):
        return False
    order.extra = {**extra, "seq_from": {**seen, sender: seq}}
    return True


async def _superseded(session: AsyncSession, tenant: Tenant, order: Order, action: str, by: str,
                      payload: dict[str, Any], message_id: str, role: str | None = None) -> None:
    """A step that arrived after a newer one over the same link: into the timeline, no change of state."""
    log.info("message %s (%s from %s) arrived after a newer one: recorded, no change", message_id, action, by)
    # What the assessment rules read (late, satisfaction, role, ...) is kept: counters do not depend on
    # the order messages arrive in.
    kept = {key: payload[key] for key in _SUPERSEDED_KEPT if key in payload}
    if role is not None:
        kept["role"] = role
    await _append(session, tenant, order, action, order.status, by, {"by_tenant": by, **kept, "superseded": True},
                  _at(payload), reason=payload.get("reason"))


async def apply_dispatch(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    """A parent dispatched an order here: this tenant's own record of it, awaiting its sign."""
    _need(payload, "dispatch", "origin_tenant", "origin_number", "title", "content")
    now = _at(payload)
    existing = await rows.lock_received(session, (payload["origin_tenant"], payload["origin_number"]))
    if isinstance(existing, Order) and not _in_order(existing, payload["origin_tenant"], payload):
        await _superseded(session, tenant, existing, "dispatch-received", payload["origin_tenant"], payload,
                          message_id)
        return
    if isinstance(existing, Order):
        await _dispatched_again(session, tenant, existing, payload, now)
        return
    order_id = existing  # none here yet: the id drawn for the new record
    order = transient(Order, dict(
        id=order_id, number=f"{tenant.code}-{now.astimezone(CST):%Y%m%d}-{order_id:06d}",
        query_code=new_query_code(tenant.code), status=Status.dispatched,
        origin_tenant=payload["origin_tenant"], origin_number=payload["origin_number"],
        handle_deadline=_when(payload.get("handle_deadline")), sign_deadline=_when(payload.get("sign_deadline")),
        deadline_estimated=bool(payload.get("deadline_estimated")), repeat_count=0, urge_count=0, reopen_count=0,
        extra={"origin_path": payload.get("origin_path"), "role": payload.get("role", "lead")},
        created_at=now, updated_at=now, **{field: payload.get(field) for field in COPIED},
    ))  # written by the closing statement (rows.add_order), never by the session
    _in_order(order, payload["origin_tenant"], payload)  # the first message from above: remembered
    rows.add_order(session, order, search_document(payload["title"], payload["content"], payload.get("address")))
    await _append(session, tenant, order, "dispatch-received", None, payload["origin_tenant"],
                  {"from": payload["origin_tenant"], "origin_number": payload["origin_number"],
                   "note": payload.get("note")}, now)


async def _dispatched_again(session: AsyncSession, tenant: Tenant, order: Order, payload: dict[str, Any],
                            now: datetime) -> None:
    """The same record, live again and back with this level's centre: after a send-back, or dispatched
    anew (改派 to the same level) while this level held it. Its part starts over, so what it had passed on
    (a unit, a town, co-handlers) is taken back (撤回) first."""
    by = payload["origin_tenant"]
    withdraw = await _take_back(session, tenant, order, "withdrawn", now, by)
    before = order.status
    order.status, order.closed_at, order.outcome = Status.dispatched, None, None
    order.lead_unit_id, order.assigned_tenant = None, None
    order.handle_deadline = _when(payload.get("handle_deadline"))
    order.sign_deadline = _when(payload.get("sign_deadline"))
    order.pending_extension, order.paused_remaining_s = None, None  # the level above set the time limit anew
    order.updated_at = now
    event = await _append(session, tenant, order, "dispatch-received", before, by,
                          {"from": by, "origin_number": payload["origin_number"], "note": payload.get("note")}, now)
    await _send(session, tenant, event, withdraw)


async def _origin_order(session: AsyncSession, payload: dict[str, Any]) -> Order:
    order = await rows.lock_order(session, number=payload["origin_number"])
    if order is None:
        raise PermanentError(f"no order {payload['origin_number']} here")
    return order


def _child_assignment(session: AsyncSession, order: Order, child: str) -> Assignment | None:
    return next((a for a in rows.assignments(session, order) if a.tenant_code == child), None)


async def _from_child(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], kind: str, action: str,
                      message_id: str) -> tuple[Order, str, Assignment] | None:
    """The order here that the sending child level holds, and the child's live assignment; None if the
    message was superseded by a newer one from that child (then it is only recorded)."""
    _need(payload, kind, "origin_number", "by_tenant", "number")
    order = await _origin_order(session, payload)
    child = payload["by_tenant"]
    in_order = _in_order(order, child, payload)
    assignment = _child_assignment(session, order, child) if in_order else None
    if assignment is not None:
        return order, child, assignment
    given = [a for a in rows.assignments(session, order, live=False) if a.tenant_code == child]
    if not given:
        raise PermanentError(f"order {order.number} was never with {child}")
    role = given[-1].role  # the latest: lead or co (协办), live or not
    # Older than a step already applied, or the order was taken back from the child (撤回) while the step
    # was on its way up: recorded, no change.
    await _superseded(session, tenant, order, action, child, payload, message_id, role)
    return None


async def apply_signed(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    found = await _from_child(session, tenant, payload, "signed", "sign", message_id)
    if found is None:
        return
    order, child, assignment = found
    now = _at(payload)
    assignment.status, assignment.signed_at = "signed", now
    before = order.status
    if order.status == Status.dispatched and assignment.role == "lead":
        order.status = Status.signed
    order.updated_at = now
    await _append(session, tenant, order, "sign", before, child,
                  {"by_tenant": child, "number": payload["number"], "late": bool(payload.get("late")),
                   "role": assignment.role}, now)


async def _back_from_child(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], status: Status,
                           action: str, message_id: str) -> None:
    """The child level gives the order back (退单 or 上报): it waits here, its clock stopped."""
    found = await _from_child(session, tenant, payload, status.value, action, message_id)
    if found is None:
        return
    order, child, assignment = found
    now = _at(payload)
    if assignment.role == "co":  # a co-handler steps out: the order stays with its lead
        assignment.status, assignment.ended_at = status.value, now
        order.updated_at = now
        await _append(session, tenant, order, action, order.status, child,
                      {"by_tenant": child, "number": payload["number"], "role": "co"}, now,
                      reason=payload.get("reason"))
        return
    # The co-handling levels (协办) are told the order was taken back; the child giving it back knows.
    withdraw = await _take_back(session, tenant, order, status.value, now, tenant.code, keep={child})
    if order.handle_deadline is not None:  # waiting with the dispatcher does not count
        calendar = (await load_rules(session)).calendar
        order.paused_remaining_s = max(0, int(calendar.working_seconds_between(now, order.handle_deadline)) + 1)
    before = order.status
    order.status, order.assigned_tenant, order.updated_at = status, None, now
    event = await _append(session, tenant, order, action, before, child,
                          {"by_tenant": child, "number": payload["number"]}, now, reason=payload.get("reason"))
    await _send(session, tenant, event, withdraw)


async def apply_returned(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    await _back_from_child(session, tenant, payload, Status.returned, "return", message_id)


async def apply_replied(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    found = await _from_child(session, tenant, payload, "replied", "reply", message_id)
    if found is None:
        return
    order, child, assignment = found
    now = _at(payload)
    assignment.status, assignment.replied_at, assignment.reply = "replied", now, payload.get("content")
    before = order.status
    if assignment.role == "lead":
        order.status = Status.replied
    order.updated_at = now
    await _append(session, tenant, order, "reply", before, child,
                  {"by_tenant": child, "number": payload["number"], "content": payload.get("content"),
                   "role": assignment.role}, now)


async def apply_urge(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    """督办 from above: counted whenever it arrives (urges do not undo one another)."""
    order = await _record_from(session, payload, "urge")
    _in_order(order, payload["origin_tenant"], payload)
    order.urge_count += 1
    order.updated_at = now = _at(payload)
    await _append(session, tenant, order, "urge", order.status, payload["by_tenant"],
                  {"by_tenant": payload["by_tenant"], "urge_count": order.urge_count}, now,
                  reason=payload.get("reason"))


async def apply_escalated(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    await _back_from_child(session, tenant, payload, Status.escalated, "escalate", message_id)


async def apply_withdraw(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    """撤回 from above: the level above took the order back (改派 elsewhere, merged, closed without this
    level's part). This level's record closes, and the levels it gave the order to are told in turn."""
    order = await _record_from(session, payload, "withdraw")
    by = payload["by_tenant"]
    if not _in_order(order, payload["origin_tenant"], payload):  # dispatched here again since
        await _superseded(session, tenant, order, "withdraw", by, payload, message_id)
        return
    if order.status not in OPEN:  # finished here already: its step up is on the way, nothing to take back
        log.info("withdraw %s: record %s is %s already, nothing to take back", message_id, order.number,
                 order.status)
        return
    now = _at(payload)
    withdraw = await _take_back(session, tenant, order, "withdrawn", now, by)
    before = order.status
    order.status, order.outcome, order.closed_at, order.updated_at = Status.closed, WITHDRAWN, now, now
    order.pending_extension = None
    event = await _append(session, tenant, order, "withdraw", before, by, {"by_tenant": by, "why": payload.get("why")},
                          now, reason=payload.get("reason"))
    await _send(session, tenant, event, withdraw)


async def _record_from(session: AsyncSession, payload: dict[str, Any], kind: str) -> Order:
    """This level's record of the order the message is about. Not there: its dispatch has not been
    applied yet (it may be on another worker, or be redelivered later), so NotYet, not dead."""
    _need(payload, kind, "origin_tenant", "origin_number", "by_tenant")
    order = await rows.lock_order(session, origin=(payload["origin_tenant"], payload["origin_number"]))
    if order is None:
        raise NotYet(f"no record here of {payload['origin_number']} yet")
    return order


async def apply_rework(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    """重办 asked by the level above: this level handles its record again."""
    order = await _record_from(session, payload, "rework")
    if not _in_order(order, payload["origin_tenant"], payload):
        await _superseded(session, tenant, order, "reopen", payload["by_tenant"], payload, message_id)
        return
    now = _at(payload)
    before = order.status
    order.reopen_count += 1
    order.closed_at, order.outcome, order.updated_at = None, None, now
    order.handle_deadline = _when(payload.get("handle_deadline")) or order.handle_deadline
    if order.lead_unit_id is not None:
        rows.add_assignment(session, order_id=order.id, unit_id=order.lead_unit_id, role="lead", status="signed",
                            assigned_at=now, signed_at=now)
    order.status = Status.signed
    await _append(session, tenant, order, "reopen", before, payload["by_tenant"], {"by_tenant": payload["by_tenant"]},
                  now, reason=payload.get("reason"))


async def apply_rated(session: AsyncSession, tenant: Tenant, payload: dict[str, Any], message_id: str) -> None:
    """The citizen's rating (满意度) reaches the level that handled the order."""
    _need(payload, "rated", "satisfaction")
    order = await _record_from(session, payload, "rated")
    if not _in_order(order, payload["origin_tenant"], payload):
        await _superseded(session, tenant, order, "revisit", payload["by_tenant"], payload, message_id)
        return
    order.satisfaction = payload["satisfaction"]
    order.updated_at = now = _at(payload)
    await _append(session, tenant, order, "revisit", order.status, payload["by_tenant"],
                  {"by_tenant": payload["by_tenant"], "satisfaction": payload["satisfaction"],
                   "resolved": payload.get("resolved")}, now)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


DOWN: dict[str, Applier] = {"dispatch": apply_dispatch, "urge": apply_urge, "rework": apply_rework,
                            "rated": apply_rated, "withdraw": apply_withdraw}
UP: dict[str, Applier] = {"signed": apply_signed, "returned": apply_returned, "replied": apply_replied,
                          "escalated": apply_escalated}
