"""审核不通过 and 重办 down to the level that handled the order, however deep.

Taken by: a reviewer rejecting a reply (``reject``, 审核不通过); a supervisor or dispatcher reopening an
order (``reopen``, 重办); the citizen's dissatisfaction at the follow-up call (``revisit`` unsatisfied, 重办).

What it does at each level, the taking one first: the order goes back into the hands of whoever handled it
last there — its unit (a new, signed assignment), a child level (likewise, and the rework travels on down
to it), or the level's centre if it answered the order itself. The levels' records reopen all the way down.

- A rejection (``rejected``) keeps the time limit and any extension granted: the handler's reply was not
  good enough, the clock did not stop for it. It is counted as 审核不通过, not as 重办. It carries the date the
  rejecting level holds, so a level below that had replied when an extension was granted above (the grant
  stopped at the level it had replied to) times the granted date again.
- A rework (``reopened``, ``unsatisfied``) at the level that took the request starts its own time limit from
  now: the rework limit in force there (a setting per province or subtree, ``core.sla.rework``; 5 working days
  by default), carried down so every level times the same date. It is counted as 重办 (``reopen_count``) at
  every level. A level below reopening its own part (what its reviewer approved) keeps the deadline the level
  above holds it to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.context import Context
from core.orders.crosslevel import urge
from core.orders.crosslevel.links import append, child_path, in_order, record_from_above, send_on, superseded, when
from core.orders.crosslevel.messages import FromAbove
from core.orders.lifecycle import Status
from core.orders.models import Order
from core.sla.rework import rework_deadline
from federation.outbox import Outgoing
from tenants.models import Tenant

REJECTED, REOPENED, UNSATISFIED = "rejected", "reopened", "unsatisfied"
Why = Literal["rejected", "reopened", "unsatisfied"]


class Rework(FromAbove):
    kind = "rework"

    why: Why
    reason: str | None = None
    handle_deadline: datetime | None = None  # the sending level's time limit: a rework's own, or the one kept


def back_to_handler(session: AsyncSession, order: Order, now: datetime) -> str | None:
    """The record back in the hands of whoever handled it last here; returns the child level's code if that
    was a child level (the rework goes on down to it)."""
    for assignment in rows.assignments(session, order):
        if assignment.role == "lead":  # the reply waiting for review: done with
            assignment.status, assignment.ended_at = "reworked", now
    order.closed_at, order.outcome = None, None
    if order.lead_unit_id is not None or order.assigned_tenant is not None:
        rows.add_assignment(session, order_id=order.id, unit_id=order.lead_unit_id, tenant_code=order.assigned_tenant,
                            role="lead", status="signed", assigned_at=now, signed_at=now)
        order.status = Status.signed
        return order.assigned_tenant
    # Answered by this level's centre: back to it (a root record to triage).
    order.status = Status.registered if order.origin_tenant is None else Status.signed
    return None


async def _onward(session: AsyncSession, tenant_code: str, order: Order, child: str | None, message: Rework
                  ) -> list[Outgoing]:
    """The rework to the child level that handled it, and this record's urges as they stand (those waiting follow
    the order back to whoever holds it: ``urge``)."""
    if child is None:
        return []
    return [Outgoing(await child_path(session, child), message.model_copy(update={
        "origin_tenant": tenant_code, "origin_number": order.number, "at": None, "seq": None})),
        *await urge.pass_on(session, tenant_code, order, to=child)]


async def rework(ctx: Context, order: Order, why: Why, reason: str | None) -> dict[str, object]:
    """The staff's step at this level: back to the handler, and down to the level that handled it. A level below
    the one that took the request reworks its own part (reopening what its reviewer approved) within the deadline
    the level above holds it to: only the originating level starts a rework's own time limit."""
    if why != REJECTED:
        order.reopen_count += 1
        if order.origin_tenant is None:
            order.handle_deadline, order.deadline_estimated = rework_deadline(ctx.rules, ctx.lineage, ctx.now)
        order.paused_remaining_s, order.pending_extension = None, None
    deadline = order.handle_deadline
    child = back_to_handler(ctx.session, order, ctx.now)
    message = Rework(origin_tenant=ctx.tenant.code, origin_number=order.number, by_tenant=ctx.actor.tenant,
                     why=why, reason=reason, handle_deadline=deadline)
    ctx.outgoing += await _onward(ctx.session, ctx.tenant.code, order, child, message)
    payload: dict[str, object] = {"why": why, "reopen_count": order.reopen_count}
    if why != REJECTED and deadline is not None:
        payload["handle_deadline"] = deadline.isoformat()
    return payload


async def apply(session: AsyncSession, tenant: Tenant, message: Rework, message_id: str) -> None:
    """This level handles its record again, as the level above asked."""
    order = await record_from_above(session, tenant, message)
    action = "reject" if message.why == REJECTED else "reopen"
    if not in_order(order, message.origin_tenant, message.seq):
        await superseded(session, tenant, order, action, message, message.by_tenant, message_id)
        return
    now, before = when(message), order.status
    if message.why != REJECTED:
        order.reopen_count += 1
        order.paused_remaining_s, order.pending_extension = None, None
    order.handle_deadline = message.handle_deadline or order.handle_deadline
    child = back_to_handler(session, order, now)
    order.updated_at = now
    event = await append(session, tenant, order, action, before, message.by_tenant,
                         {"by_tenant": message.by_tenant, "why": message.why}, now, reason=message.reason)
    await send_on(session, tenant, event, await _onward(session, tenant.code, order, child, message))
