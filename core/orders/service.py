"""The rules of work orders: intake (受理) and every lifecycle action.

Each action loads the order under a row lock, checks the state, the actor and the time,
changes the order, and appends a hash-chained event — all in the caller's one transaction.
``act_and_commit`` first tries an action with the order read unlocked (``core.orders.rows.unlock``).
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.actors import Actor, Role
from core.assessment.facts import emit as emit_fact
from core.categories.service import CategoryView
from core.errors import ApiError
from core.orders import rows
from core.orders.duplicates import find_duplicates
from core.orders.events import append_event
from core.orders.lifecycle import OPEN, RULES, WITHDRAWN, Action, Rule, Status, allowed_actions
from core.orders.models import ORDER_ID_SEQ, Assignment, Attachment, Order, OrderEvent, OrderLink
from core.orders.schemas import ActionRequest, DuplicateCandidate, OrderCreate, RedirectTarget, Satisfaction
from core.orders.text import search_document
from core.orders.withdrawal import end_assignments, withdrawals
from core.sla.calendar import CST
from core.sla.policy import Policy, resolve_policy
from core.sla.service import SlaRules
from core.units.models import Unit
from federation.outbox import Outgoing, enqueue
from tenants.codes import is_descendant, lineage
from tenants.models import Tenant
from tenants.paths import tenant_paths

log = logging.getLogger(__name__)
# What a dispatch down the tree carries of the order.
UPSTREAM_FIELDS = ("channel", "type", "category", "title", "content", "address", "division_code", "citizen_name",
                   "citizen_phone", "anonymous", "callback", "urgency")
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


@dataclass
class Context:
    """Everything an action needs: the tenant-bound session, who acts, the rules, the clock."""

    session: AsyncSession
    tenant: Tenant
    actor: Actor
    rules: SlaRules
    categories: dict[str, CategoryView]
    now: datetime
    duplicate_window_days: int = 30
    unit_scope: int | None = None  # set for a unit's staff: only orders with their unit
    # Messages to other tenants, written to the outbox with the action's event (same transaction).
    outgoing: list[Outgoing] = field(default_factory=list)
    lineage: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lineage = lineage(self.tenant.code)


def field_error(field_name: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field_name}: {message}",
                    fields=[{"field": field_name, "message": message}])


def new_query_code(tenant_code: str) -> str:
    """The citizen's query code: the tenant and 8 random characters, e.g. 4101-7KQ9M2XD."""
    # One read of the system's randomness, not one per character; 256 is a multiple of the alphabet's 32
    # letters, so each letter stays equally likely.
    return f"{tenant_code}-" + "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in secrets.token_bytes(8))


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
    """受理: validate, number, time-limit and record a new order; suggest likely duplicates."""
    _require_role(ctx.actor, Action.register, {Role.operator, Role.dispatcher})
    _require_own_tenant(ctx)
    category = ctx.categories.get(data.category)
    if category is None:
        raise field_error("category", f"unknown category {data.category}")
    if not category.active:
        raise field_error("category", f"category {data.category} is no longer in use")
    if not category.leaf:
        raise field_error("category", f"{data.category} is a major category: choose one of its minor categories")
    if data.division_code and not (data.division_code == ctx.tenant.code
                                   or is_descendant(data.division_code, ctx.tenant.code)):
        raise field_error("division_code", f"{data.division_code} is outside tenant {ctx.tenant.code}")
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
    order = Order(
        id=order_id,
        number=f"{ctx.tenant.code}-{ctx.now.astimezone(CST):%Y%m%d}-{order_id:06d}",
        query_code=new_query_code(ctx.tenant.code),
        channel=data.channel, type=data.type, category=data.category, title=data.title, content=data.content,
        address=data.address, division_code=data.division_code or ctx.tenant.code,
        longitude=data.longitude, latitude=data.latitude,
        citizen_name=citizen.name, citizen_phone=citizen.phone, citizen_id_number=citizen.id_number,
        anonymous=citizen.anonymous, callback=citizen.callback, urgency=data.urgency,
        status=Status.registered, handle_deadline=handle_deadline, deadline_estimated=estimated,
        repeat_count=repeats, urge_count=0, reopen_count=0, extra={},
        created_at=ctx.now, updated_at=ctx.now,
        search=func.to_tsvector("simple", search_document(data.title, data.content, data.address)),
    )
    ctx.session.add(order)
    event = append_event(ctx.session, order, action=Action.register, from_status=None, actor=ctx.actor,
                         now=ctx.now, payload={"channel": data.channel.value, "category": data.category,
                                               "repeat": repeats > 0})
    for item in data.attachments:
        ctx.session.add(Attachment(order_id=order_id, **item.model_dump()))
    for other in related:
        ctx.session.add(OrderLink(order_id=order_id, linked_order_id=other.id, kind="related"))
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event)
    await ctx.session.flush()
    duplicates = await find_duplicates(ctx.session, order, ctx.duplicate_window_days)
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
    """Perform one lifecycle action on an order (409 with the allowed actions if it cannot be done now)."""
    order = await _load_for_update(ctx, number)
    if order.outcome == WITHDRAWN:
        raise ApiError(409, "withdrawn", f"order {number} was taken back by {order.origin_tenant} (撤回): nothing is "
                       "left to do with it here", order_status=order.status, allowed_actions=[])
    rule = RULES[action]
    status = Status(order.status)
    co_assignment = _co_assignment(ctx, order, action)
    if _held_by_centre(order) and action in (Action.sign, Action.return_, Action.dispatch, Action.escalate,
                                             Action.contact):
        # An order dispatched here by a parent level is held by this tenant's centre, not a unit:
        # its dispatcher signs it, sends it back, or dispatches it on (also once signed).
        rule = Rule(rule.states | {Status.signed} if action == Action.dispatch else rule.states,
                    frozenset({Role.dispatcher}), rule.needs_reason, False)
    if status not in rule.states and co_assignment is None:
        raise ApiError(409, "invalid_transition", f"cannot {action} an order that is {status}",
                       order_status=status.value, allowed_actions=allowed_actions(status))
    if action == Action.urge:
        _require_urge_reach(ctx)
    else:
        _require_own_tenant(ctx)
        _require_role(ctx.actor, action, set(rule.roles))
    if rule.unit_bound and co_assignment is None and ctx.actor.unit_id != order.lead_unit_id:
        raise ApiError(403, "not_your_unit", f"order {number} is not with your unit")
    if rule.needs_reason and not (req.reason and req.reason.strip()):
        raise field_error("reason", f"{action} needs a reason")

    before = order.status
    payload = await HANDLERS[action](ctx, order, req, co_assignment)
    order.updated_at = ctx.now
    event = await _append(ctx, order, action, before, req.reason, payload)
    await _send(ctx, event)
    return order


async def act_and_commit(ctx: Context, number: str, action: Action, req: ActionRequest) -> Order:
    """``act``, then commit. First with the order read unlocked (``rows.unlock``: no BEGIN, no COMMIT, no
    lock held while the rules decide); if it changed before the commit, nothing was written, and the
    action is done again with the order's row locked, which cannot conflict."""
    rows.unlock(ctx.session)
    try:
        order = await act(ctx, number, action, req)
        await ctx.session.commit()
        return order
    except rows.WriteConflict:
        log.info("%s of %s at %s: the order changed meanwhile; done again, locked", action, number, ctx.tenant.code)
        await ctx.session.rollback()
        ctx.outgoing.clear()  # the messages of the attempt that wrote nothing
    order = await act(ctx, number, action, req)
    await ctx.session.commit()
    return order


async def _send(ctx: Context, event: OrderEvent) -> None:
    """The action's messages to other levels, into the outbox with its event (same transaction)."""
    for index, message in enumerate(ctx.outgoing):
        # The event's id is the message's id: a re-published message is recognised downstream.
        message_id = event.event_id if index == 0 else uuid.uuid5(event.event_id, str(index))
        # When it happened here: the receiving level records the step at this time, not at arrival.
        message.payload.setdefault("at", ctx.now.isoformat())
        # Where it is in this record's history: the receiver tells a late message from a newer one by it.
        message.payload.setdefault("seq", event.seq)
        await enqueue(ctx.session, message_id, ctx.tenant.code, message)


async def auto_escalate(ctx: Context, number: str, reason: str) -> bool:
    """上报 by policy: an overdue order a unit holds goes back to this tenant's centre; one this tenant's
    centre holds for a parent level goes up to that level. Once per order; False if there is nothing to do."""
    order = await _load_for_update(ctx, number)
    held_here = order.lead_unit_id is not None or _held_by_centre(order)
    if order.status not in (Status.dispatched, Status.signed) or order.assigned_tenant is not None \
            or not held_here or (order.extra or {}).get("auto_escalated"):
        return False
    before = order.status
    order.extra = {**(order.extra or {}), "auto_escalated": True}
    payload = await _give_back(ctx, order, ActionRequest(reason=reason), Status.escalated, "escalated")
    order.updated_at = ctx.now
    event = await _append(ctx, order, Action.escalate, before, reason, {**payload, "automatic": True})
    await _send(ctx, event)
    return True


async def mark_overdue(ctx: Context, number: str) -> bool:
    """超期: an open order past its handling time limit gets an ``overdue`` event, once."""
    order = await _load_for_update(ctx, number)
    state = (order.extra or {}).get("assess") or {}
    if order.status not in OPEN or order.handle_deadline is None or order.handle_deadline >= ctx.now \
            or state.get("od"):
        return False
    await _append(ctx, order, "overdue", order.status, None, {"handle_deadline": order.handle_deadline.isoformat()})
    return True


def _held_by_centre(order: Order) -> bool:
    return order.origin_tenant is not None and order.lead_unit_id is None and order.assigned_tenant is None


async def _append(ctx: Context, order: Order, action: str, before: str | None, reason: str | None,
                  payload: dict[str, Any], fact_extra: dict[str, Any] | None = None) -> OrderEvent:
    # No flush here: the order's changes, its new event and the outbox rows go to the database at commit.
    event = append_event(ctx.session, order, action=action, from_status=before, actor=ctx.actor, now=ctx.now,
                         reason=reason, payload=payload)
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event, fact_extra)
    return event


async def _load_for_update(ctx: Context, number: str) -> Order:
    order = await rows.lock_order(ctx.session, number=number)
    if order is None:
        raise ApiError(404, "order_not_found", f"no order {number} in tenant {ctx.tenant.code}")
    return order


async def _orders_by_number(ctx: Context, numbers: list[str]) -> list[Order]:
    found = (await ctx.session.scalars(select(Order).where(Order.number.in_(numbers)))).all()
    missing = sorted(set(numbers) - {o.number for o in found})
    if missing:
        raise field_error("related", f"unknown order(s) {', '.join(missing)}")
    return list(found)


def _require_role(actor: Actor, action: str, roles: set[Role]) -> None:
    if not actor.has(*roles):
        wanted = " or ".join(sorted(r.value for r in roles))
        raise ApiError(403, "forbidden", f"{action} needs the role {wanted}")


def _require_own_tenant(ctx: Context) -> None:
    if ctx.actor.tenant != ctx.tenant.code:
        raise ApiError(403, "forbidden", f"you act for tenant {ctx.actor.tenant}, not {ctx.tenant.code}")


def _require_urge_reach(ctx: Context) -> None:
    """督办: a supervisor of this tenant or of any ancestor up to the province."""
    if not ctx.actor.has(Role.supervisor):
        raise ApiError(403, "forbidden", "urge needs the role supervisor")
    if ctx.actor.tenant != ctx.tenant.code and not is_descendant(ctx.tenant.code, ctx.actor.tenant):
        raise ApiError(403, "forbidden", f"tenant {ctx.tenant.code} is outside your reach")


def _co_assignment(ctx: Context, order: Order, action: Action) -> Assignment | None:
    """A co-handler's (协办) own live assignment, for the sign and reply of its part."""
    if action not in (Action.sign, Action.reply) or ctx.actor.unit_id is None:
        return None
    if order.status not in (Status.dispatched, Status.signed) or ctx.actor.unit_id == order.lead_unit_id:
        return None
    return next((a for a in rows.assignments(ctx.session, order)
                 if a.unit_id == ctx.actor.unit_id and a.role == "co"), None)


def _lead(ctx: Context, order: Order) -> Assignment | None:
    return next((a for a in rows.assignments(ctx.session, order) if a.role == "lead"), None)


async def _end_assignments(ctx: Context, order: Order, status: str, keep: Collection[str] = ()) -> None:
    """End the order's live assignments; a child level that had not finished its part (and is not in
    ``keep``, given the order again) is told it was taken back (撤回)."""
    children = end_assignments(ctx.session, order, status, ctx.now, keep)
    ctx.outgoing += await withdrawals(ctx.session, order, ctx.tenant.code, children, ctx.actor.tenant, status)


def _pause_clock(ctx: Context, order: Order) -> None:
    """Keep what was left of the handling time: waiting after a send-back does not count."""
    if order.handle_deadline is not None:
        left = ctx.rules.calendar.working_seconds_between(ctx.now, order.handle_deadline)
        order.paused_remaining_s = max(0, math.ceil(left))


def _restart_deadline(ctx: Context, order: Order) -> None:
    """A fresh handling limit from now (重办, reopen)."""
    policy = policy_for(ctx, order.type, order.urgency, order.category)
    order.handle_deadline, order.deadline_estimated = policy.handle.deadline(ctx.rules.calendar, ctx.now)
    order.paused_remaining_s = None


# ---- the actions ----------------------------------------------------------------------------


async def _answer(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    if not (req.content and req.content.strip()):
        raise field_error("content", "answer needs the answer given to the citizen")
    late = _past_deadline(ctx, order)
    order.status, order.outcome, order.closed_at = Status.closed, "answered", ctx.now
    return {"content": req.content, "late": late}


def _past_deadline(ctx: Context, order: Order) -> bool:
    return order.handle_deadline is not None and ctx.now > order.handle_deadline


async def _redirect(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    try:
        target = RedirectTarget(str(req.to))
    except ValueError:
        raise field_error("to", "redirect to 110, 119, 120, 122 or legal_channel") from None
    order.status, order.outcome, order.redirect_to, order.closed_at = (
        Status.closed, "redirected", target.value, ctx.now)
    return {"to": target.value}


async def _decline(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    order.status, order.outcome, order.closed_at = Status.closed, "not_accepted", ctx.now
    return {}


async def _dispatch(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    if req.to is None:
        raise field_error("to", "dispatch needs a unit id or a child tenant's code")
    co_ids = list(dict.fromkeys(req.co_handlers))
    lead_unit: Unit | None = None
    child: str | None = None
    child_path: str | None = None
    if isinstance(req.to, int):
        lead_unit = await _active_unit(ctx, req.to, "to")
    else:
        child = str(req.to)
        child_path = await _child_path(ctx, child, "to")
    if lead_unit is not None and lead_unit.id in co_ids:
        raise field_error("co_handlers", "the lead unit cannot also be a co-handler")
    co_units = [await _active_unit(ctx, uid, "co_handlers") for uid in co_ids]
    co_tenants = list(dict.fromkeys(req.co_tenants))
    if child is not None and child in co_tenants:
        raise field_error("co_tenants", "the lead tenant cannot also be a co-handler")
    co_paths = [await _child_path(ctx, code, "co_tenants") for code in co_tenants]

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
    receivers = ([(child_path, "lead")] if child is not None else []) + [(path, "co") for path in co_paths]
    for path, role in receivers:
        ctx.outgoing.append(Outgoing("dispatch", path, {
            "origin_tenant": ctx.tenant.code, "origin_path": ctx.tenant.path, "origin_number": order.number,
            "role": role, "note": req.note, "sign_deadline": sign_deadline.isoformat(),
            "handle_deadline": order.handle_deadline.isoformat() if order.handle_deadline else None,
            "deadline_estimated": order.deadline_estimated,
            **{name: getattr(order, name) for name in UPSTREAM_FIELDS},
        }))
    return {"to": req.to, "co_handlers": co_ids, "co_tenants": co_tenants, "note": req.note,
            "sign_deadline": sign_deadline.isoformat()}


async def _child_path(ctx: Context, code: str, field_name: str) -> str:
    """The path of an active tenant below this one (dispatch goes down only)."""
    if not is_descendant(code, ctx.tenant.code):
        raise field_error(field_name, f"{code} is not a tenant below {ctx.tenant.code}: dispatch goes down only")
    path = (await tenant_paths(ctx.session, [code], active=True)).get(code)
    if not path:
        raise field_error(field_name, f"no active tenant {code}")
    return path


async def _active_unit(ctx: Context, unit_id: int, field_name: str) -> Unit:
    unit = await ctx.session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise field_error(field_name, f"no active unit {unit_id} in tenant {ctx.tenant.code}")
    return unit


async def _sign(ctx: Context, order: Order, req: ActionRequest, co: Assignment | None) -> dict[str, Any]:
    if _held_by_centre(order) and co is None:
        return await _sign_for_parent(ctx, order)
    assignment = co or _lead(ctx, order)
    if assignment is None or assignment.signed_at is not None:
        raise ApiError(409, "invalid_transition", "already signed", allowed_actions=allowed_actions(
            Status(order.status)))
    assignment.status, assignment.signed_at = "signed", ctx.now
    late = assignment.sign_deadline is not None and ctx.now > assignment.sign_deadline
    if co is None:
        order.status = Status.signed
    return {"late": late, "role": assignment.role}


async def _sign_for_parent(ctx: Context, order: Order) -> dict[str, Any]:
    """签收 of an order a parent level dispatched here: the parent's record follows."""
    late = order.sign_deadline is not None and ctx.now > order.sign_deadline
    order.status = Status.signed
    _up(ctx, order, "signed", {"late": late})
    return {"late": late, "for": order.origin_tenant}


def _up(ctx: Context, order: Order, kind: str, extra: dict[str, Any]) -> None:
    origin_path = (order.extra or {}).get("origin_path") or order.origin_tenant
    ctx.outgoing.append(Outgoing(kind, origin_path, {
        "origin_number": order.origin_number, "by_tenant": ctx.tenant.code, "number": order.number, **extra}))


async def _give_back(ctx: Context, order: Order, req: ActionRequest, status: Status, kind: str) -> dict[str, Any]:
    """退单 or 上报: from a unit to this tenant's dispatcher, or from this level to the one above."""
    if _held_by_centre(order):
        order.status, order.outcome, order.closed_at = Status.closed, status.value, ctx.now
        _up(ctx, order, kind, {"reason": req.reason})
        return {"to": order.origin_tenant}
    await _end_assignments(ctx, order, status.value)
    _pause_clock(ctx, order)
    unit = order.lead_unit_id
    order.status, order.lead_unit_id, order.pending_extension = status, None, None
    return {"unit_id": unit}


async def _return(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    return await _give_back(ctx, order, req, Status.returned, "returned")


async def _extend(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    if req.days is None:
        raise field_error("days", "extend needs the number of working days asked for")
    if order.pending_extension is not None:
        raise ApiError(409, "extension_pending", "an extension request is already waiting for a decision")
    if order.handle_deadline is not None and ctx.now > order.handle_deadline:
        raise ApiError(409, "too_late", "the time limit has already passed: an extension is asked before it")
    order.pending_extension = {"days": req.days, "reason": req.reason, "asked_at": ctx.now.isoformat()}
    return {"days": req.days}


async def _approve_extension(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    pending = order.pending_extension
    if pending is None:
        raise ApiError(409, "no_extension_pending", "there is no extension request to decide")
    if req.approved is None:
        raise field_error("approved", "say whether the extension is approved (true or false)")
    order.pending_extension = None
    if not req.approved:
        return {"approved": False, "days": pending["days"]}
    base = order.handle_deadline or ctx.now
    order.handle_deadline, estimated = ctx.rules.calendar.add_working_days(base, int(pending["days"]))
    order.deadline_estimated = order.deadline_estimated or estimated
    return {"approved": True, "days": pending["days"], "handle_deadline": order.handle_deadline.isoformat()}


async def _reply(ctx: Context, order: Order, req: ActionRequest, co: Assignment | None) -> dict[str, Any]:
    if not (req.content and req.content.strip()):
        raise field_error("content", "a reply needs its content")
    assignment = co or _lead(ctx, order)
    if assignment is None:
        raise ApiError(409, "invalid_transition", "no live assignment to reply for")
    assignment.reply, assignment.replied_at, assignment.status = req.content, ctx.now, "replied"
    if co is None:
        order.status = Status.replied
    late = order.handle_deadline is not None and ctx.now > order.handle_deadline
    return {"content": req.content, "role": assignment.role, "late": late}


async def _approve(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    order.status = Status.approved
    return {}


async def _rework(ctx: Context, order: Order, reason: str | None = None) -> None:
    """重办: back to the same unit (or the same child level), counted, with a fresh time limit."""
    order.reopen_count += 1
    _restart_deadline(ctx, order)
    lead = _lead(ctx, order)
    if lead is None and order.assigned_tenant is not None:
        lead = rows.add_assignment(ctx.session, order_id=order.id, tenant_code=order.assigned_tenant, role="lead",
                                   status="signed", assigned_at=ctx.now, signed_at=ctx.now)
    if lead is not None and lead.tenant_code is not None:  # the child level handles it again
        await _down(ctx, order, "rework", {"reason": reason,
                                           "handle_deadline": order.handle_deadline.isoformat()})
    if lead is not None:
        lead.status, lead.replied_at, lead.reply = "signed", None, None
        order.status = Status.signed
    elif order.lead_unit_id is not None:
        rows.add_assignment(ctx.session, order_id=order.id, unit_id=order.lead_unit_id, role="lead", status="signed",
                            assigned_at=ctx.now, signed_at=ctx.now)
        order.status = Status.signed
    else:
        order.status = Status.registered  # answered at intake: back to triage
    order.closed_at, order.outcome = None, None


async def _down(ctx: Context, order: Order, kind: str, extra: dict[str, Any]) -> None:
    """A message to the child level holding this order."""
    child_path = (await tenant_paths(ctx.session, [order.assigned_tenant]))[order.assigned_tenant]
    ctx.outgoing.append(Outgoing(kind, child_path, {
        "origin_tenant": ctx.tenant.code, "origin_number": order.number, "by_tenant": ctx.actor.tenant, **extra}))


async def _reject(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    await _rework(ctx, order, req.reason)
    return {"reopen_count": order.reopen_count}


async def _close(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    replies = [a for a in rows.assignments(ctx.session, order, live=False)
               if a.role == "lead" and a.reply is not None and a.replied_at is not None]
    reply = max(replies, key=lambda a: a.replied_at).reply if replies else None
    await _end_assignments(ctx, order, "done")
    late = _past_deadline(ctx, order)
    order.status, order.outcome, order.closed_at = Status.closed, "resolved", ctx.now
    if order.origin_tenant is not None:  # this level's part is done: its reply goes up (上报办理结果)
        _up(ctx, order, "replied", {"content": req.content or reply})
    return {"late": late}


async def _contact(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    """联系市民: the handler reached the citizen (响应); the order stays as it is."""
    return {"note": req.note}


async def _revisit(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    if req.satisfaction is None:
        raise field_error("satisfaction", "revisit records satisfied, basically_satisfied or unsatisfied")
    order.satisfaction = req.satisfaction
    resolved = req.resolved if req.resolved is not None else req.satisfaction != Satisfaction.unsatisfied
    payload: dict[str, Any] = {"satisfaction": req.satisfaction.value, "resolved": resolved, "note": req.note}
    if order.assigned_tenant is not None:  # the rating reaches the level that handled it
        await _down(ctx, order, "rated", {"satisfaction": req.satisfaction.value, "resolved": resolved})
    if req.satisfaction == Satisfaction.unsatisfied:
        await _rework(ctx, order, req.note or "市民不满意")
        payload["reopened"] = True
    return payload


async def _reopen(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    await _rework(ctx, order, req.reason)
    return {"reopen_count": order.reopen_count}


async def _urge(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    order.urge_count += 1
    if order.assigned_tenant is not None:  # the level handling it sees the urging at once
        child_path = (await tenant_paths(ctx.session, [order.assigned_tenant]))[order.assigned_tenant]
        ctx.outgoing.append(Outgoing("urge", child_path, {
            "origin_tenant": ctx.tenant.code, "origin_number": order.number, "by_tenant": ctx.actor.tenant,
            "reason": req.reason}))
    return {"urge_count": order.urge_count, "by_tenant": ctx.actor.tenant}


async def _escalate(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    return await _give_back(ctx, order, req, Status.escalated, "escalated")


async def _merge(ctx: Context, order: Order, req: ActionRequest, _: Assignment | None) -> dict[str, Any]:
    if not req.into:
        raise field_error("into", "merge needs the number of the order to keep")
    if req.into == order.number:
        raise field_error("into", "an order cannot be merged into itself")
    if order.origin_tenant is not None:  # the level above waits for this record's reply: it merges, not here
        raise ApiError(409, "from_parent", f"order {order.number} came from {order.origin_tenant}: ask it to merge "
                       "the order there, or send it back")
    target = await rows.lock_order(ctx.session, number=req.into)
    if target is None:
        raise field_error("into", f"no order {req.into}")
    if target.status not in OPEN:
        raise ApiError(409, "invalid_transition", f"order {req.into} is {target.status}: merge into an open order")
    await _end_assignments(ctx, order, "merged")
    order.status, order.outcome, order.merged_into_id, order.closed_at = (
        Status.merged, "merged", target.id, ctx.now)
    citizens = list(target.extra.get("citizens", []))
    citizens.append({"number": order.number, "name": order.citizen_name, "phone": order.citizen_phone,
                     "callback": order.callback})
    target.extra = {**target.extra, "citizens": citizens}
    target.repeat_count += 1
    target.updated_at = ctx.now
    ctx.session.add(OrderLink(order_id=order.id, linked_order_id=target.id, kind="merged"))
    ctx.session.add(OrderLink(order_id=target.id, linked_order_id=order.id, kind="merged"))
    await _append(ctx, target, "merged-in", target.status, req.reason, {"from": order.number},
                  fact_extra={"citizens": 1 + len(citizens), "number": target.number,
                              "category": target.category, "division": target.division_code})
    return {"into": target.number}


HANDLERS = {
    Action.answer: _answer, Action.redirect: _redirect, Action.decline: _decline, Action.dispatch: _dispatch,
    Action.sign: _sign, Action.return_: _return, Action.extend: _extend,
    Action.approve_extension: _approve_extension, Action.reply: _reply, Action.approve: _approve,
    Action.reject: _reject, Action.close: _close, Action.revisit: _revisit, Action.reopen: _reopen,
    Action.urge: _urge, Action.escalate: _escalate, Action.merge: _merge, Action.contact: _contact,
}
