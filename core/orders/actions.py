"""What each lifecycle action does to an order once the rules allowed it (``core.orders.rules.permit``):
one handler per action (``HANDLERS``), changing the order and its assignments and naming what the event
records. ``core.orders.service.act`` checks, calls the handler, and records the step."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from core.orders import attachments, rows
from core.orders.context import Context, field_error, policy_for
from core.orders.crosslevel import (
    dispatch,
    extension,
    giveback,
    rating,
    reply,
    rework,
    sign,
    urge,
    urge_sign,
    withdraw,
)
from core.orders.errors import MergeIntoClosed
from core.orders.lifecycle import OPEN, Action, Status
from core.orders.models import Assignment, Order, OrderLink
from core.orders.recording import record
from core.orders.rules import Need
from core.orders.schemas import ActionRequest, RedirectTarget, Satisfaction
from core.units.models import Unit
from tenants.codes import is_descendant
from tenants.paths import tenant_paths


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


async def _answer(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    """直办: the centre answers the citizen itself. A child level's answer goes up as its reply."""
    if not (req.content and req.content.strip()):
        raise field_error("content", "answer needs the answer given to the citizen")
    files = await attachments.named(ctx.session, order, req.attachment_ids)
    late = _past_deadline(ctx, order)
    _accept_first(ctx, order)
    await _end_assignments(ctx, order, "done")
    order.status, order.outcome, order.closed_at, order.pending_extension = Status.closed, "answered", ctx.now, None
    if order.origin_tenant is not None:
        reply.send(ctx, order, req.content, answered=True, late=late, attachments=attachments.refs(files))
    return {"content": req.content, "late": late, **_files(files)}


def _files(files: list[Any]) -> dict[str, Any]:
    """What an event records of the files that go with a reply or an answer (none: nothing)."""
    return {"attachment_ids": [f.id for f in files]} if files else {}


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
    if child is not None:  # the urges of this record go with it, as they stand: those waiting follow the holder
        ctx.outgoing += await urge.pass_on(ctx.session, ctx.tenant.code, order, to=child)
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


async def give_back(ctx: Context, order: Order, req: ActionRequest, status: Status) -> dict[str, Any]:
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
    return await give_back(ctx, order, req, Status.returned)


async def _escalate(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    return await give_back(ctx, order, req, Status.escalated)


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
    files = await attachments.named(ctx.session, order, req.attachment_ids)
    assignment = needed.co or _lead(ctx, order)
    assert assignment is not None  # the rules found it
    assignment.reply, assignment.replied_at, assignment.status = req.content, ctx.now, "replied"
    if needed.co is None:
        order.status = Status.replied
    late = order.handle_deadline is not None and ctx.now > order.handle_deadline
    return {"content": req.content, "role": assignment.role, "late": late, **_files(files)}


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
        reply.send(ctx, order, req.content or answer, answered=False, late=late,
                   attachments=await attachments.of_last_reply(ctx.session, order))
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
    if req.due is not None and req.due <= ctx.now:
        raise field_error("due", "the 督办时限 must be later than now")
    return await urge.urge(ctx, order, req.reason, req.due)


async def _sign_urge(ctx: Context, order: Order, req: ActionRequest, _: Need) -> dict[str, Any]:
    """督办签收: the holder acknowledges every urge waiting on the record."""
    return await urge_sign.sign(ctx, order, req.note)


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
    await record(ctx, target, "merged-in", target.status, req.reason, {"from": order.number},
                  fact_extra={"citizens": 1 + target.merged_count, "number": target.number,
                              "category": target.category, "division": target.division_code})
    return {"into": target.number}


HANDLERS = {
    Action.answer: _answer, Action.redirect: _redirect, Action.decline: _decline, Action.dispatch: _dispatch,
    Action.sign: _sign, Action.return_: _return, Action.extend: _extend,
    Action.approve_extension: _approve_extension, Action.reply: _reply, Action.approve: _approve,
    Action.reject: _reject, Action.close: _close, Action.revisit: _revisit, Action.reopen: _reopen,
    Action.urge: _urge, Action.escalate: _escalate, Action.merge: _merge, Action.contact: _contact,
    Action.sign_urge: _sign_urge,
}
