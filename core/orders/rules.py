"""Who may take which step on a record now: the lifecycle's rules, read with who holds the record.

A *record* is an order as one level holds it: the originating level's (the root record, registered
there) or a child level's (dispatched there from above: ``origin_tenant`` is set). At any moment an open
record is in the hands of exactly one of:

- a **unit** (承办单位) of this level: the live lead assignment names it;
- a **child level**: the live lead assignment names the child tenant, whose own record says who there;
- this level's **centre** (its dispatchers): nothing live is assigned — a root record being triaged or
  given back, a child record just received from above (signed or not) or given back by its unit;
- this level's **reviewers**: a reply waits for review (``replied``) or for closing (``approved``).

``need`` says, for one action on one record, who may take it now (the roles, the unit, whether a reason
is needed), or None if the action does not apply to the record as it is. ``permit`` turns that into the
named refusals of ``core.orders.errors`` for one person; ``allowed_actions`` lists exactly what one person
may do now: the same rules, so the list and what the API accepts cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.orders import errors, urges
from core.orders.lifecycle import OPEN, WITHDRAWN, Action, Status
from core.orders.models import Assignment, Order
from iam.actors import Actor, Role
from infra.refusals import Forbidden
from tenants.codes import is_descendant

# What a level's centre may do with a record it holds, registered here or received from above.
ROOT_CENTRE = frozenset({Status.registered, Status.returned, Status.escalated})
CHILD_CENTRE = frozenset({Status.dispatched, Status.signed, Status.returned, Status.escalated})
IN_HAND = frozenset({Status.dispatched, Status.signed})

_DESK = frozenset({Role.operator, Role.dispatcher})
_DISPATCHER = frozenset({Role.dispatcher})
_HANDLER = frozenset({Role.handler})
_REVIEWER = frozenset({Role.reviewer})
_DECIDERS = frozenset({Role.dispatcher, Role.reviewer})


@dataclass(frozen=True)
class Need:
    """Who may take an action on a record now."""

    roles: frozenset[Role]
    unit: int | None = None  # the person must be of this unit
    reason: bool = False  # the request must give a reason
    reach_down: bool = False  # a person of this level or of any level above (督办), not only of this one
    co: Assignment | None = None  # the co-handler's (协办) own assignment the step is about


@dataclass(frozen=True)
class Holding:
    """Who has a record in hand (see the module's docstring)."""

    root: bool
    lead: Assignment | None  # the live lead assignment: a unit or a child level
    centre: bool  # this level's centre holds it

    @property
    def unit(self) -> int | None:
        return self.lead.unit_id if self.lead is not None else None

    @property
    def child(self) -> str | None:
        return self.lead.tenant_code if self.lead is not None else None


def live_lead(assignments: Sequence[Assignment]) -> Assignment | None:
    return next((a for a in reversed(assignments) if a.role == "lead" and a.ended_at is None), None)


def holding(order: Order, assignments: Sequence[Assignment]) -> Holding:
    status = order.status
    lead = live_lead(assignments) if status in IN_HAND or status in (Status.replied, Status.approved) else None
    centre = status in OPEN and status not in (Status.replied, Status.approved) and lead is None
    return Holding(root=order.origin_tenant is None, lead=lead, centre=centre)


def _co(assignments: Sequence[Assignment], unit: int | None) -> Assignment | None:
    """The live co-handling (协办) assignment of a unit, if it has one."""
    if unit is None:
        return None
    return next((a for a in assignments if a.role == "co" and a.unit_id == unit and a.ended_at is None), None)


def need(order: Order, assignments: Sequence[Assignment], action: Action, actor_unit: int | None,
         now: datetime) -> Need | None:
    """Who may take ``action`` on the record now; None if it does not apply to the record as it is."""
    if order.outcome == WITHDRAWN:
        return None
    status, hold = Status(order.status), holding(order, assignments)
    root, centre, lead = hold.root, hold.centre, hold.lead
    unit = hold.unit if lead is not None and lead.unit_id is not None else None
    centre_states = ROOT_CENTRE if root else CHILD_CENTRE
    child_centre = centre and not root and status in CHILD_CENTRE
    co = _co(assignments, actor_unit) if status in IN_HAND and actor_unit != unit else None
    before_deadline = order.handle_deadline is None or now <= order.handle_deadline
    pending = order.pending_extension
    match action:
        case Action.answer:  # 直办
            return Need(_DESK) if centre and status in centre_states else None
        case Action.redirect:
            return Need(_DESK, reason=True) if root and status == Status.registered else None
        case Action.decline:
            return Need(_DESK, reason=True) if root and status in (Status.registered, Status.returned) else None
        case Action.dispatch:  # to a unit or a child level; again elsewhere (改派) while not yet signed
            not_signed = lead is not None and status == Status.dispatched and lead.signed_at is None
            return Need(_DISPATCHER) if (centre and status in centre_states) or not_signed else None
        case Action.merge:
            open_here = centre or (lead is not None and lead.signed_at is None)
            return Need(_DESK) if root and status in (Status.registered, Status.dispatched) and open_here else None
        case Action.sign:  # 签收: a co-handler (协办) signs its own part
            if co is not None:
                return Need(_HANDLER, unit=co.unit_id, co=co) if co.signed_at is None else None
            if unit is not None and status == Status.dispatched and lead is not None and lead.signed_at is None:
                return Need(_HANDLER, unit=unit)
            if child_centre and status == Status.dispatched and order.accepted_at is None:
                return Need(_DISPATCHER)
            return None
        case Action.return_ | Action.escalate:  # 退单 / 上报: a unit to this centre, this centre to the level above
            if unit is not None and (status == Status.signed or (action == Action.return_ and status in IN_HAND)):
                return Need(_HANDLER, unit=unit, reason=True)
            return Need(_DISPATCHER, reason=True) if child_centre else None
        case Action.contact:  # 联系市民
            if unit is not None and status == Status.signed:
                return Need(_HANDLER, unit=unit)
            return Need(_DISPATCHER) if child_centre and status == Status.signed else None
        case Action.extend:  # 延期申请: before the time limit, one request at a time
            if status != Status.signed or pending is not None or not before_deadline:
                return None
            if unit is not None:
                return Need(_HANDLER, unit=unit, reason=True)
            return Need(_DISPATCHER, reason=True) if child_centre else None
        case Action.approve_extension:  # a request waiting for this level's decision
            return Need(_DECIDERS) if status in OPEN and pending is not None and not pending.get("forwarded") \
                else None
        case Action.reply:  # a co-handler replies for its own part, once signed
            if co is not None:
                return Need(_HANDLER, unit=co.unit_id, co=co) if co.signed_at is not None and co.replied_at is None \
                    else None
            return Need(_HANDLER, unit=unit) if unit is not None and status == Status.signed else None
        case Action.approve:
            return Need(_REVIEWER) if status == Status.replied else None
        case Action.reject:  # 审核不通过
            return Need(_REVIEWER, reason=True) if status == Status.replied else None
        case Action.close:
            return Need(_REVIEWER) if status == Status.approved else None
        case Action.revisit:  # 回访: the level that took the request calls the citizen back, once per answer
            return Need(frozenset({Role.caller})) if root and status == Status.closed and awaits_rating(order) \
                else None
        case Action.reopen:  # 重办; a child level's closed record is reworked only from above
            reopenable = {Status.closed, Status.approved} if root else {Status.approved}
            return Need(frozenset({Role.supervisor, Role.dispatcher}), reason=True) if status in reopenable else None
        case Action.urge:  # 督办
            return Need(frozenset({Role.supervisor}), reason=True, reach_down=True) if status in OPEN else None
        case Action.sign_urge:  # 督办签收: whoever holds the record here, while an urge waits on it
            if status not in OPEN or not urges.pending(order):
                return None
            if status in (Status.replied, Status.approved):
                return Need(_REVIEWER)
            if unit is not None:
                return Need(_HANDLER, unit=unit)
            return Need(_DESK) if centre else None  # a child level holds it: its holder signs there
    return None


# The ratings that stand: the citizen's word on the answer the order closed with. An unsatisfied rating reworks the
# order (重办), so a closed order rated unsatisfied was closed again since, with a new answer to rate.
RATED = frozenset({"satisfied", "basically_satisfied"})


def awaits_rating(order: Order) -> bool:
    """Whether the citizen's rating of the answer the order closed with is still to be recorded (回访)."""
    return order.satisfaction not in RATED


def qualifies(actor: Actor, tenant_code: str, needed: Need, action: Action | None = None) -> Forbidden | None:
    """Why this person may not take a step that needs ``needed`` at tenant ``tenant_code``; None if they may."""
    if needed.reach_down:
        if actor.tenant != tenant_code and not is_descendant(tenant_code, actor.tenant):
            return errors.OutsideYourReach(actor.tenant, tenant_code)
    elif actor.tenant != tenant_code:
        return errors.NotYourTenant(actor.tenant, tenant_code)
    if not actor.has(*needed.roles):
        return errors.RoleNeeded((r.value for r in needed.roles), action.value if action else None)
    if needed.unit is not None and actor.unit_id != needed.unit:
        return errors.NotYourUnit()
    return None


def allowed_actions(actor: Actor, tenant_code: str, order: Order, assignments: Sequence[Assignment],
                    now: datetime) -> list[str]:
    """Exactly the actions this person may take on the record now (given a well-formed request)."""
    found = []
    for action in Action:
        if action == Action.register:
            continue
        needed = need(order, assignments, action, actor.unit_id, now)
        if needed is not None and qualifies(actor, tenant_code, needed) is None:
            found.append(action.value)
    return found


def permit(actor: Actor, tenant_code: str, order: Order, assignments: Sequence[Assignment], action: Action,
           now: datetime) -> Need:
    """What ``action`` needs, if this person may take it now; otherwise its refusal: an ``InvalidTransition`` when
    the record's state does not allow it (with what this person may do instead), a ``Forbidden`` when the person
    may not."""
    if order.outcome == WITHDRAWN:
        raise errors.OrderWithdrawn(order.number, order.origin_tenant, order.status)
    needed = need(order, assignments, action, actor.unit_id, now)
    if needed is None:
        raise why_not(order, action, now, allowed_actions(actor, tenant_code, order, assignments, now))
    refusal = qualifies(actor, tenant_code, needed, action)
    if refusal is not None:
        raise refusal
    return needed


def why_not(order: Order, action: Action, now: datetime, allowed: list[str]) -> errors.InvalidTransition:
    """The refusal of an action the order's state does not allow, named for the reason."""
    status = order.status
    if action == Action.extend and order.pending_extension is not None:
        return errors.ExtensionPending(status, allowed)
    if action == Action.extend and order.handle_deadline is not None and now > order.handle_deadline:
        return errors.PastTimeLimit(status, allowed)
    if action == Action.approve_extension:
        return errors.NoExtensionWaiting(status, allowed)
    if action in (Action.merge, Action.revisit, Action.redirect, Action.decline) and order.origin_tenant is not None:
        return errors.TakenAtOrigin(order.number, order.origin_tenant, action.value, status, allowed)
    if action == Action.revisit and status == Status.closed and not awaits_rating(order):
        return errors.AlreadyRated(order.number, str(order.satisfaction), status, allowed)
    return errors.NotInThisState(order.number, action.value, status, allowed)
