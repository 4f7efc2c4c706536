"""The lifecycle steps of work orders at one level (intake, 受理, is ``core.orders.intake``).

Each action reads the order to change it (``core.orders.rows``), checks the state, the actor and the time
(``core.orders.rules``: the same rules that list the actions a person may take), changes the order
(``core.orders.actions``, one handler per action) and records a hash-chained event
(``core.orders.recording``), all in the caller's step (``core.orders.step.order_step``). What a step sends
to other levels, and what that does there, is in ``core.orders.crosslevel``. ``act_and_commit`` first tries
an action in an optimistic step, then, if the order changed meanwhile, in a locking one.
"""

from __future__ import annotations

import logging

from core.orders import queries, rows, visibility
from core.orders.actions import HANDLERS, give_back
from core.orders.context import Context, field_error
from core.orders.facts import counted_overdue
from core.orders.lifecycle import OPEN, Action, Status
from core.orders.models import Order
from core.orders.recording import record, send
from core.orders.rules import holding, permit
from core.orders.schemas import ActionRequest
from core.orders.step import WriteConflict, order_step

__all__ = ["Context", "act", "act_and_commit", "auto_escalate", "field_error", "mark_overdue"]

log = logging.getLogger(__name__)


async def act(ctx: Context, number: str, action: Action, req: ActionRequest) -> Order:
    """Perform one lifecycle action on an order (409 with the actions this person may take instead if the
    order's state does not allow it; 403 if the person may not)."""
    order = await order_to_change(ctx, number)
    needed = permit(ctx.actor, ctx.tenant.code, order, rows.assignments(ctx.session, order, live=False), action,
                    ctx.now)
    if needed.reason and not (req.reason and req.reason.strip()):
        raise field_error("reason", f"'{action}' needs a reason")
    before = order.status
    payload = await HANDLERS[action](ctx, order, req, needed)
    order.updated_at = ctx.now
    event = await record(ctx, order, action, before, req.reason, payload)
    await send(ctx, event)
    return order


async def act_and_commit(ctx: Context, number: str, action: Action, req: ActionRequest) -> Order:
    """``act`` in a step of its own, committed. First an optimistic step (no BEGIN, no COMMIT, no lock held
    while the rules decide); if the order changed before its end, nothing was written, and the action is done
    again in a locking step, which cannot conflict."""
    try:
        async with order_step(ctx.session, optimistic=True):
            order = await act(ctx, number, action, req)
        return order
    except WriteConflict:
        log.info("%s of %s at %s: the order changed meanwhile; done again, locked", action, number, ctx.tenant.code)
        ctx.outgoing.clear()  # the messages of the attempt that wrote nothing
    async with order_step(ctx.session):
        order = await act(ctx, number, action, req)
    return order


async def auto_escalate(ctx: Context, number: str, reason: str) -> bool:
    """上报 by policy: an overdue order a unit holds goes back to this tenant's centre; one this tenant's
    centre holds for a parent level goes up to that level. Once per order; False if there is nothing to do."""
    order = await order_to_change(ctx, number)
    hold = holding(order, rows.assignments(ctx.session, order, live=False))
    held_here = hold.unit is not None or (hold.centre and not hold.root)
    if order.status not in (Status.dispatched, Status.signed) or not held_here \
            or order.auto_escalated_at is not None:
        return False
    before = order.status
    order.auto_escalated_at = ctx.now
    payload = await give_back(ctx, order, ActionRequest(reason=reason), Status.escalated)
    order.updated_at = ctx.now
    event = await record(ctx, order, Action.escalate, before, reason, {**payload, "automatic": True})
    await send(ctx, event)
    return True


async def mark_overdue(ctx: Context, number: str) -> bool:
    """超期: an open order past its handling time limit gets an ``overdue`` event, once."""
    order = await order_to_change(ctx, number)
    if order.status not in OPEN or order.handle_deadline is None or order.handle_deadline >= ctx.now \
            or counted_overdue(order):
        return False
    await record(ctx, order, "overdue", order.status, None, {"handle_deadline": order.handle_deadline.isoformat()})
    return True


async def order_to_change(ctx: Context, number: str) -> Order:
    """The order, read to change it (``rows.read_for_change``); 404 as for a read if it is not there or the
    person may not read it (a unit's staff acting on another unit's order learn nothing of it: not that it
    exists, nor its state)."""
    order = await rows.read_for_change(ctx.session, number=number)
    if order is None or not visibility.may_see(order, rows.assignments(ctx.session, order, live=False), ctx.unit_scope):
        raise queries.order_not_found(number, ctx.tenant.code)
    return order
