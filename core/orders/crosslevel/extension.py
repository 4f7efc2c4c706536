"""延期 across levels: a request goes up to the level that dispatched the order, the decision comes back down.

Asked by: the handler of the unit holding a record, before its time limit, with the working days wanted
and a reason; or the dispatcher of a child level whose centre holds the record. One request at a time.

Decided by: the level that dispatched the order to the one asking — for a unit, its own level's dispatcher
or reviewer. That level

- refuses: the decision goes back down to the asker;
- approves, if the new date does not pass its own time limit (the originating level's limit is the
  citizen's, and it may grant it): its record takes the date, the decision goes back down;
- otherwise forwards it up (its approval alone cannot move the date the level above holds it to): the
  request goes to the level above, which decides in turn.

The decision travels back down the way the request came; every level on the way takes an approved date,
so every level above the asker times the same deadline as the asker (their timers do not mark, urge or
escalate an order that was granted more time). A request made moot (the order given back, withdrawn,
dispatched anew, replied) is dropped; a refusal that finds no request waiting is recorded and changes
nothing, a grant is taken all the same and passed down to whoever holds the order now.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.context import Context
from core.orders.crosslevel.links import (
    append,
    child_path,
    live_child,
    parent_path,
    record_below,
    record_from_above,
    send_on,
    superseded,
    when,
)
from core.orders.crosslevel.messages import FromAbove, FromBelow
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant


class ExtensionRequest(FromBelow):
    kind = "extension-request"

    request_id: str
    days: int
    until: datetime  # the deadline asked for
    reason: str | None = None


class ExtensionDecision(FromAbove):
    kind = "extension-decision"

    request_id: str
    approved: bool
    until: datetime | None = None  # the deadline granted


def _pending(request_id: str, days: int, until: datetime, reason: str | None, asked_at: datetime,
             from_tenant: str | None, forwarded: bool) -> dict[str, Any]:
    """The record's ``pending_extension``: what was asked, by whom (a child level, or None: here), whether it
    waits for this level's decision or for the level above's (``forwarded``)."""
    return {"request_id": request_id, "days": days, "until": until.isoformat(), "reason": reason,
            "asked_at": asked_at.isoformat(), "from_tenant": from_tenant, "forwarded": forwarded}


def _request_up(order: Order, tenant_code: str, pending: dict[str, Any]) -> Outgoing:
    return Outgoing(parent_path(order), ExtensionRequest(
        origin_number=order.origin_number, by_tenant=tenant_code, number=order.number,
        request_id=pending["request_id"], days=pending["days"], until=datetime.fromisoformat(pending["until"]),
        reason=pending["reason"]))


async def _decision_down(session: AsyncSession, tenant_code: str, order: Order, pending: dict[str, Any],
                         by_tenant: str, approved: bool) -> list[Outgoing]:
    """The decision to the child level that asked, if a child level did."""
    child = pending.get("from_tenant")
    if child is None:
        return []
    return [Outgoing(await child_path(session, child), ExtensionDecision(
        origin_tenant=tenant_code, origin_number=order.number, by_tenant=by_tenant,
        request_id=pending["request_id"], approved=approved,
        until=datetime.fromisoformat(pending["until"]) if approved else None))]


def ask(ctx: Context, order: Order, days: int, reason: str | None) -> dict[str, Any]:
    """The staff's request (延期申请). A unit's waits for this level's decision; a child level's centre asks
    the level above at once."""
    base = order.handle_deadline or ctx.now
    until, _ = ctx.rules.calendar.add_working_days(base, days)
    own_centre = order.lead_unit_id is None and order.origin_tenant is not None
    order.pending_extension = _pending(uuid.uuid4().hex, days, until, reason, ctx.now, None, forwarded=own_centre)
    if own_centre:
        ctx.outgoing.append(_request_up(order, ctx.tenant.code, order.pending_extension))
    return {"days": days, "until": until.isoformat(), "forwarded": own_centre}


async def decide(ctx: Context, order: Order, approved: bool) -> dict[str, Any]:
    """This level's decision on the request waiting for it."""
    pending = dict(order.pending_extension or {})
    until = datetime.fromisoformat(pending["until"]) if pending.get("until") else \
        ctx.rules.calendar.add_working_days(order.handle_deadline or ctx.now, int(pending["days"]))[0]
    pending["until"] = until.isoformat()
    payload: dict[str, Any] = {"approved": approved, "days": pending["days"], "until": pending["until"]}
    within = order.handle_deadline is not None and until <= order.handle_deadline
    if approved and order.origin_tenant is not None and not within:
        order.pending_extension = {**pending, "forwarded": True}  # past this level's own limit: up it goes
        ctx.outgoing.append(_request_up(order, ctx.tenant.code, order.pending_extension))
        return {**payload, "forwarded": True}
    order.pending_extension = None
    if approved and not within:
        order.handle_deadline = until
        order.deadline_estimated = order.deadline_estimated or not ctx.rules.calendar.lookup(until.date())[1]
        payload["handle_deadline"] = until.isoformat()
    ctx.outgoing += await _decision_down(ctx.session, ctx.tenant.code, order, pending, ctx.actor.tenant, approved)
    return payload


async def apply_request(session: AsyncSession, tenant: Tenant, message: ExtensionRequest, message_id: str) -> None:
    """A child level asks this level: the request waits for this level's decision."""
    found = await record_below(session, tenant, message, "extend", message_id)
    if found is None:
        return
    order, assignment = found
    now = when(message)
    if assignment.role != "lead" or assignment.status not in ("dispatched", "signed"):
        await superseded(session, tenant, order, "extend", message, message.by_tenant, message_id)
        return
    order.pending_extension = _pending(message.request_id, message.days, message.until, message.reason, now,
                                       message.by_tenant, forwarded=False)
    order.updated_at = now
    await append(session, tenant, order, "extend", order.status, message.by_tenant,
                 {"by_tenant": message.by_tenant, "number": message.number, "days": message.days,
                  "until": message.until.isoformat()}, now, reason=message.reason)


async def apply_decision(session: AsyncSession, tenant: Tenant, message: ExtensionDecision, message_id: str) -> None:
    """The level above decided a request this level forwarded. A granted date is taken whatever became of the
    request here, and passed on down to whoever holds the order now, so that the levels time one deadline; the
    decision itself goes on to the level that asked."""
    order = await record_from_above(session, tenant, message)
    pending = order.pending_extension or {}
    waiting = pending.get("request_id") == message.request_id and bool(pending.get("forwarded"))
    if not waiting and not message.approved:
        await superseded(session, tenant, order, "approve-extension", message, message.by_tenant, message_id)
        return
    now = when(message)
    if waiting:
        order.pending_extension = None
    payload: dict[str, Any] = {"by_tenant": message.by_tenant, "approved": message.approved}
    if message.approved and message.until is not None:
        if order.handle_deadline is None or message.until > order.handle_deadline:
            order.handle_deadline = message.until
        payload["until"] = message.until.isoformat()
    order.updated_at = now
    event = await append(session, tenant, order, "approve-extension", order.status, message.by_tenant, payload, now)
    asker = pending.get("from_tenant") if waiting else None
    holder = live_child(rows.assignments(session, order)) if message.approved else None
    onward = asker or holder
    if onward is not None:
        await send_on(session, tenant, event, [Outgoing(await child_path(session, onward), message.model_copy(update={
            "origin_tenant": tenant.code, "origin_number": order.number, "at": None, "seq": None}))])
