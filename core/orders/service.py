"""The steps of work orders at one level: intake (受理) and every lifecycle action.

Each action reads the order to change it (``core.orders.rows``), checks the state, the actor and the time
(``core.orders.rules``: the same rules that list the actions a person may take), changes the order, and
appends a hash-chained event — all in the caller's step (``core.orders.step.order_step``). What a step sends
to other levels, and what that does there, is in ``core.orders.crosslevel``. ``act_and_commit`` first tries
an action in an optimistic step, then, if the order changed meanwhile, in a locking one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from core.orders import queries, rows, visibility
from core.orders.context import Context, field_error
from core.orders.crosslevel import dispatch, extension, giveback, rating, reply, rework, sign, urge, withdraw
from core.orders.crosslevel.messages import message_id
from core.orders.duplicates import find_duplicates
from core.orders.errors import MergeIntoClosed, NotYourTenant, RoleNeeded
from core.orders.events import append_event
from core.orders.facts import counted_overdue
from core.orders.facts import emit as emit_fact
from core.orders.lifecycle import OPEN, Action, Status
from core.orders.models import ORDER_ID_SEQ, Assignment, Attachment, Order, OrderEvent, OrderLink, transient
from core.orders.numbers import new_query_code, record_number
from core.orders.rules import Need, holding, permit
from core.orders.schemas import ActionRequest, DuplicateCandidate, OrderCreate, RedirectTarget, Satisfaction
from core.orders.step import WriteConflict, order_step
from core.orders.text import search_document
from core.sla.policy import Policy, resolve_policy
from core.units.models import Unit
from federation.outbox import enqueue
from iam.actors import Role
from tenants.codes import is_descendant
from tenants.paths import tenant_paths

__all__ = ["Context", "act", "act_and_commit", "auto_escalate", "field_error", "mark_overdue", "new_query_code",
           "register"]

log = logging.getLogger(__name__)


def policy_for(ctx: Context, order_type: str, urgency: str, category: str | None) -> Policy:
    days = ctx.categories[category].handle_limit_days if category in ctx.categories else None
    return resolve_policy(ctx.rules.policies, ctx.lineage, order_type, urgency, days)


# ---- intake ---------------------------------------------------------------------------------


@dataclass
class Registered:
    order: Order
    event: OrderEvent
    related: list[Order]
    duplicates: list[DuplicateCandidate]


async def register(ctx: Context, data: OrderCreate) -> Registered:
    """受理: validate, number, time-limit and record a new order; suggest likely duplicates. In the caller's
    step (``order_step``): the order is written, as every order is, through ``core.orders.rows``."""
    if not ctx.actor.has(Role.operator, Role.dispatcher):
        raise RoleNeeded(("dispatcher", "operator"), "register")
    if ctx.actor.tenant != ctx.tenant.code:
        raise NotYourTenant(ctx.actor.tenant, ctx.tenant.code)
    category = ctx.categories.get(data.category)
    if category is None:
        raise field_error("category", f"there is no category {data.category}")
    if not category.active:
        raise field_error("category", f"category {data.category} is no longer in use")
    if not category.leaf:
        raise field_error("category", f"{data.category} is a major category: choose one of its minor categories")
    if data.division_code and not (data.division_code == ctx.tenant.code
                                   or is_descendant(data.division_code, ctx.tenant.code)):
        raise field_error("division_code", f"{data.division_code} is not in the area of tenant {ctx.tenant.code}")
    citizen = data.citizen
    if citizen.callback and not citizen.phone:
        raise field_error("citizen.phone", "a phone number is needed when the citizen wants a call back")
    if not citizen.anonymous and not citizen.name:
        raise field_error("citizen.name", "a name is needed unless the citizen is anonymous")
    related = await _orders_by_number(ctx, data.related) if data.related else []

    policy = policy_for(ctx, data.type, data.urgency, data.category)
    handle_deadline, estimated = policy.handle.deadline(ctx.rules.calendar, ctx.now)
    order_id = await ctx.session.scalar(select(ORDER_ID_SEQ.next_value()))
    repeats = await _repeat_count(ctx, citizen.phone)
    number = record_number(ctx.tenant.code, ctx.now, order_id)
    order = transient(Order, dict(
        id=order_id, number=number, root_number=number, query_code=new_query_code(ctx.tenant.code),
        channel=data.channel, type=data.type, category=data.category, title=data.title, content=data.content,
        address=data.address, division_code=data.division_code or ctx.tenant.code,
        longitude=data.longitude, latitude=data.latitude,
        citizen_name=citizen.name, citizen_phone=citizen.phone, citizen_id_number=citizen.id_number,
        anonymous=citizen.anonymous, callback=citizen.callback, urgency=data.urgency,
        status=Status.registered, handle_deadline=handle_deadline, deadline_estimated=estimated,
        repeat_count=repeats, urge_count=0, reopen_count=0, merged_count=0,
        created_at=ctx.now, updated_at=ctx.now,
    ))
    rows.add_order(ctx.session, order, search_document(data.title, data.content, data.address))
    event = append_event(ctx.session, order, action=Action.register, from_status=None, actor=ctx.actor,
                         now=ctx.now, payload={"channel": data.channel.value, "category": data.category,
                                               "repeat": repeats > 0})
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event)
    duplicates = await find_duplicates(ctx.session, order, ctx.duplicate_window_days)
    # After the last read: the ORM flushes these after the step's statement has inserted the order they point at.
    for item in data.attachments:
        ctx.session.add(Attachment(order_id=order_id, **item.model_dump()))
    for other in related:
        ctx.session.add(OrderLink(order_id=order_id, linked_order_id=other.id, kind="related"))
    return Registered(order, event, related, duplicates)


async def _repeat_count(ctx: Context, phone: str | None) -> int:
    """重复诉求: earlier orders from the same phone within the duplicate window."""
    if not phone:
        return 0
    since = ctx.now - timedelta(days=ctx.duplicate_window_days)
    return int(await ctx.session.scalar(
        select(func.count()).select_from(Order).where(Order.citizen_phone == phone, Order.created_at >= since)
    ) or 0)


# ---- lifecycle actions ----------------------------------------------------------------------


async def act(ctx: Context, number: str, action: Action, req: ActionRequest) -> Order:
    """Perform one lifecycle action on an order (409 with the actions this person may take instead if the
    order's state does not allow it; 403 if the person may not)."""
    order = await _order_to_change(ctx, number)
    needed = permit(ctx.actor, ctx.tenant.code, order, rows.assignments(ctx.session, order, live=False), action,
                    ctx.now)
    if needed.reason and not (req.reason and req.reason.strip()):
        raise field_error("reason", f"'{action}' needs a reason")
    before = order.status
    payload = await HANDLERS[action](ctx, order, req, needed)
    order.updated_at = ctx.now
    event = await _append(ctx, order, action, before, req.reason, payload)
    await _send(ctx, event)
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


async def _send(ctx: Context, event: OrderEvent) -> None:
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


async def auto_escalate(ctx: Context, number: str, reason: str) -> bool:
    """上报 by policy: an overdue order a unit holds goes back to this tenant's centre; one this tenant's
    centre holds for a parent level goes up to that level. Once per order; False if there is nothing to do."""
    order = await _order_to_change(ctx, number)
    hold = holding(order, rows.assignments(ctx.session, order, live=False))
    held_here = hold.unit is not None or (hold.centre and not hold.root)
    if order.status not in (Status.dispatched, Status.signed) or not held_here \
            or order.auto_escalated_at is not None:
        return False
    before = order.status
    order.auto_escalated_at = ctx.now
    payload = await _give_back(ctx, order, ActionRequest(reason=reason), Status.escalated)
    order.updated_at = ctx.now
    event = await _append(ctx, order, Action.escalate, before, reason, {**payload, "automatic": True})
    await _send(ctx, event)
    return True


async def mark_overdue(ctx: Context, number: str) -> bool:
    """超期: an open order past its handling time limit gets an ``overdue`` event, once."""
    order = await _order_to_change(ctx, number)
    if order.status not in OPEN or order.handle_deadline is None or order.handle_deadline >= ctx.now \
            or counted_overdue(order):
        return False
    await _append(ctx, order, "overdue", order.status, None, {"handle_deadline": order.handle_deadline.isoformat()})
    return True


async def _append(ctx: Context, order: Order, action: str, before: str | None, reason: str | None,
                  payload: dict[str, Any], fact_extra: dict[str, Any] | None = None) -> OrderEvent:
    # No flush here: the order's changes, its new event and the outbox rows go to the database at commit.
    event = append_event(ctx.session, order, action=action, from_status=before, actor=ctx.actor, now=ctx.now,
                         reason=reason, payload=payload)
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event, fact_extra)
    return event


async def _order_to_change(ctx: Context, number: str) -> Order:
    """The order, read to change it (``rows.read_for_change``); 404 as for a read if it is not there or the
    person may not read it (a unit's staff acting on another unit's order learn nothing of it: not that it
    exists, nor its state)."""
    order = await rows.read_for_change(ctx.session, number=number)
    if order is None or not visibility.may_see(order, rows.assignments(ctx.session, order, live=False), ctx.unit_scope):
        raise queries.order_not_found(number, ctx.tenant.code)
    return order


async def _orders_by_number(ctx: Context, numbers: list[str]) -> list[Order]:
    found = (await ctx.session.scalars(select(Order).where(Order.number.in_(numbers)))).all()
    missing = sorted(set(numbers) - {o.number for o in found})
    if missing:
        raise field_error("related", f"there is no order {', '.join(missing)}")
    return list(found)


def _lead(ctx: Context, order: Order) -> Assignment | None:
    return next((a for a in rows.assignments(ctx.session, order) if a.role == "lead"), None)


async def _end_assignments(ctx: Context, order: Order, status: str, keep: Collection[str] = ()) -> None:
    """End the order's live assignments; a child level that had not finished its part (and is not in
    ``keep``, given the order again) is told it was taken back (撤回)."""
    ctx.outgoing += await withdraw.take_back(ctx.session, order, ctx.tenant.code, status, ctx.now, ctx.actor.tenant,
                                             keep)


def _pause_clock(ctx: Context, order: Order) -> None:
    """Keep what was left of the handling time: waiting after a send-back does not count. Only the level that
    took the request stops its clock: a level below answers to the deadline the level above holds it to, and
    that level still waits for it."""
    if order.handle_deadline is not None and order.origin_tenant is None:
        left = ctx.rules.calendar.working_seconds_between(ctx.now, order.handle_deadline)
        order.paused_remaining_s = max(0, math.ceil(left))


def _past_deadline(ctx: Context, order: Order) -> bool:
    return order.handle_deadline is not None and ctx.now > order.handle_deadline


def _accept_first(ctx: Context, order: Order) -> bool:
    """A child level's first step on a record it had not signed (签收) signs it on the way: the level above
    hears of it before the step itself. Returns whether that sign was late."""
    if order.origin_tenant is None or order.accepted_at is not None:
        return False
    return sign.accept(ctx, order)


# ---- the actions ----------------------------------------------------------------------------


async def _answer(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    """直办: the centre answers the citizen itself. A child level's answer goes up as its reply."""
    if not (req.content and req.content.strip()):
        raise field_error("content", "answer needs the answer given to the citizen")
    late = _past_deadline(ctx, order)
    _accept_first(ctx, order)
    await _end_assignments(ctx, order, "done")
    order.status, order.outcome, order.closed_at, order.pending_extension = Status.closed, "answered", ctx.now, None
    if order.origin_tenant is not None:
        reply.send(ctx, order, req.content, answered=True, late=late)
    return {"content": req.content, "late": late}


async def _redirect(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    try:
        target = RedirectTarget(str(req.to))
    except ValueError:
        raise field_error("to", "an order is redirected to 110, 119, 120, 122 or legal_channel") from None
    order.status, order.outcome, order.redirect_to, order.closed_at = (
        Status.closed, "redirected", target.value, ctx.now)
    return {"to": target.value}


async def _decline(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    order.status, order.outcome, order.closed_at = Status.closed, "not_accepted", ctx.now
    return {}


async def _dispatch(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    if req.to is None:
        raise field_error("to", "dispatch needs a unit id or a child tenant's code")
    co_ids = list(dict.fromkeys(req.co_handlers))
    lead_unit: Unit | None = None
    child: str | None = None
    child_path_: str | None = None
    if isinstance(req.to, int):
        lead_unit = await _active_unit(ctx, req.to, "to")
    else:
        child = str(req.to)
        child_path_ = await _child_path(ctx, child, "to")
    if lead_unit is not None and lead_unit.id in co_ids:
        raise field_error("co_handlers", "the lead unit cannot also be a co-handler")
    co_units = [await _active_unit(ctx, uid, "co_handlers") for uid in co_ids]
    co_tenants = list(dict.fromkeys(req.co_tenants))
    if child is not None and child in co_tenants:
        raise field_error("co_tenants", "the lead tenant cannot also be a co-handler")
    co_paths = [await _child_path(ctx, code, "co_tenants") for code in co_tenants]

    _accept_first(ctx, order)
    await _end_assignments(ctx, order, "withdrawn", keep={*co_tenants, *([child] if child else [])})
    policy = policy_for(ctx, order.type, order.urgency, order.category)
    sign_deadline, _ = policy.sign.deadline(ctx.rules.calendar, ctx.now)
    if order.paused_remaining_s is not None:
        order.handle_deadline, order.deadline_estimated = ctx.rules.calendar.add_working_seconds(
            ctx.now, order.paused_remaining_s)
        order.paused_remaining_s = None
    rows.add_assignment(ctx.session, order_id=order.id, unit_id=lead_unit.id if lead_unit else None,
                        tenant_code=child, role="lead", status="dispatched", note=req.note, assigned_at=ctx.now,
                        sign_deadline=sign_deadline)
    for unit in co_units:
        rows.add_assignment(ctx.session, order_id=order.id, unit_id=unit.id, role="co", status="dispatched",
                            note=req.note, assigned_at=ctx.now, sign_deadline=sign_deadline)
    for code in co_tenants:
        rows.add_assignment(ctx.session, order_id=order.id, tenant_code=code, role="co", status="dispatched",
                            note=req.note, assigned_at=ctx.now, sign_deadline=sign_deadline)
    order.status = Status.dispatched
    order.lead_unit_id = lead_unit.id if lead_unit else None
    order.assigned_tenant = child
    order.sign_deadline = sign_deadline
    order.pending_extension = None  # a request of the hands it was in is moot
    receivers = ([(child_path_, "lead")] if child_path_ is not None else []) + [(path, "co") for path in co_paths]
    dispatch.send(ctx, order, receivers, req.note, sign_deadline)
    return {"to": req.to, "co_handlers": co_ids, "co_tenants": co_tenants, "note": req.note,
            "sign_deadline": sign_deadline.isoformat()}


async def _child_path(ctx: Context, code: str, field_name: str) -> str:
    """The path of an active tenant below this one (dispatch goes down only)."""
    if not is_descendant(code, ctx.tenant.code):
        raise field_error(field_name, f"{code} is not a tenant below {ctx.tenant.code}: dispatch goes down only")
    path = (await tenant_paths(ctx.session, [code], active=True)).get(code)
    if not path:
        raise field_error(field_name, f"there is no active tenant {code}")
    return path


async def _active_unit(ctx: Context, unit_id: int, field_name: str) -> Unit:
    unit = await ctx.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error(field_name, f"tenant {ctx.tenant.code} has no active unit {unit_id}")
    return unit


async def _sign(ctx: Context, order: Order, req: ActionRequest, needed: Need) -> dict[str, Any]:
    if needed.co is None and order.lead_unit_id is None:  # this level's centre, for the level above
        order.status = Status.signed
        return {"late": sign.accept(ctx, order), "for": order.origin_tenant}
    assignment = needed.co or _lead(ctx, order)
    assert assignment is not None  # the rules found it
    assignment.status, assignment.signed_at = "signed", ctx.now
    late = assignment.sign_deadline is not None and ctx.now > assignment.sign_deadline
    if needed.co is None:
        order.status = Status.signed
    return {"late": late, "role": assignment.role}


async def _give_back(ctx: Context, order: Order, req: ActionRequest, status: Status) -> dict[str, Any]:
    """退单 or 上报: from a unit to this level's centre, or from this level's centre to the level above."""
    if order.lead_unit_id is None and order.origin_tenant is not None:  # the centre of a child level
        await _end_assignments(ctx, order, status.value)
        order.status, order.outcome, order.closed_at, order.pending_extension = (
            Status.closed, status.value, ctx.now, None)
        giveback.send(ctx, order, status, req.reason)
        return {"to": order.origin_tenant}
    await _end_assignments(ctx, order, status.value)
    _pause_clock(ctx, order)
    unit = order.lead_unit_id
    order.status, order.lead_unit_id, order.pending_extension = status, None, None
    return {"unit_id": unit}


async def _return(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    return await _give_back(ctx, order, req, Status.returned)


async def _escalate(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    return await _give_back(ctx, order, req, Status.escalated)


async def _extend(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    if req.days is None:
        raise field_error("days", "extend needs the number of working days asked for")
    return extension.ask(ctx, order, req.days, req.reason)


async def _approve_extension(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    if req.approved is None:
        raise field_error("approved", "say whether the extension is approved (true or false)")
    return await extension.decide(ctx, order, req.approved)


async def _reply(ctx: Context, order: Order, req: ActionRequest, needed: Need) -> dict[str, Any]:
    if not (req.content and req.content.strip()):
        raise field_error("content", "a reply needs its content")
    assignment = needed.co or _lead(ctx, order)
    assert assignment is not None  # the rules found it
    assignment.reply, assignment.replied_at, assignment.status = req.content, ctx.now, "replied"
    if needed.co is None:
        order.status = Status.replied
    late = order.handle_deadline is not None and ctx.now > order.handle_deadline
    return {"content": req.content, "role": assignment.role, "late": late}


async def _approve(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    order.status = Status.approved
    return {}


async def _reject(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    """审核不通过: back to whoever replied, the time limit and any extension kept."""
    return await rework.rework(ctx, order, rework.REJECTED, req.reason)


async def _close(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    replies = [a for a in rows.assignments(ctx.session, order, live=False)
               if a.role == "lead" and a.reply is not None and a.replied_at is not None]
    answer = max(replies, key=lambda a: a.replied_at).reply if replies else None
    await _end_assignments(ctx, order, "done")
    late = _past_deadline(ctx, order)
    order.status, order.outcome, order.closed_at, order.pending_extension = Status.closed, "resolved", ctx.now, None
    if order.origin_tenant is not None:  # this level's part is done: its reply goes up (上报办理结果)
        reply.send(ctx, order, req.content or answer, answered=False, late=late)
    return {"late": late}


async def _contact(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    """联系市民: the handler reached the citizen (响应); the order stays as it is."""
    return {"note": req.note}


async def _revisit(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    if req.satisfaction is None:
        raise field_error("satisfaction", "revisit records satisfied, basically_satisfied or unsatisfied")
    order.satisfaction = req.satisfaction
    resolved = req.resolved if req.resolved is not None else req.satisfaction != Satisfaction.unsatisfied
    payload: dict[str, Any] = {"satisfaction": req.satisfaction.value, "resolved": resolved, "note": req.note}
    await rating.send(ctx, order, req.satisfaction.value, resolved)
    if req.satisfaction == Satisfaction.unsatisfied:
        await rework.rework(ctx, order, rework.UNSATISFIED, req.note or "市民不满意")
        payload["reopened"] = True
    return payload


async def _reopen(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    return await rework.rework(ctx, order, rework.REOPENED, req.reason)


async def _urge(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    return await urge.urge(ctx, order, req.reason)


async def _merge(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    if not req.into:
        raise field_error("into", "merge needs the number of the order to keep")
    if req.into == order.number:
        raise field_error("into", "an order cannot be merged into itself")
    target = await rows.read_for_change(ctx.session, number=req.into)
    if target is None:
        raise field_error("into", f"there is no order {req.into}")
    if target.status not in OPEN:
        raise MergeIntoClosed(req.into, target.status)
    await _end_assignments(ctx, order, "merged")
    order.status, order.outcome, order.merged_into_id, order.closed_at = (
        Status.merged, "merged", target.id, ctx.now)
    target.merged_count += 1  # the merged order keeps its citizen (queries.detail lists them on the target)
    target.repeat_count += 1
    target.updated_at = ctx.now
    ctx.session.add(OrderLink(order_id=order.id, linked_order_id=target.id, kind="merged"))
    ctx.session.add(OrderLink(order_id=target.id, linked_order_id=order.id, kind="merged"))
    await _append(ctx, target, "merged-in", target.status, req.reason, {"from": order.number},
                  fact_extra={"citizens": 1 + target.merged_count, "number": target.number,
                              "category": target.category, "division": target.division_code})
    return {"into": target.number}


HANDLERS = {
    Action.answer: _answer, Action.redirect: _redirect, Action.decline: _decline, Action.dispatch: _dispatch,
    Action.sign: _sign, Action.return_: _return, Action.extend: _extend,
    Action.approve_extension: _approve_extension, Action.reply: _reply, Action.approve: _approve,
    Action.reject: _reject, Action.close: _close, Action.revisit: _revisit, Action.reopen: _reopen,
    Action.urge: _urge, Action.escalate: _escalate, Action.merge: _merge, Action.contact: _contact,
}
