"""Assessment facts (考核事实) of order records: what one event of a record changes in the counters (the
assessment consumes them: core/assessment; the records emit them here, with the step that writes the event).

An order *record* is an order as one tenant holds it (the city's record, the district's record
of the same request, ...). ``step`` folds the record's events in order: given the record's
fold state before an event, it returns the counter changes the event makes and updates the
state. It is the only place the counting rules live; the incremental path (a fact per event,
written to the outbox with the event and applied by the assessment consumer) and ``hotline
assessment rebuild`` (every event log read again) both call it, so they cannot disagree.

Each change is attributed to a unit (科室/部门 of the tenant) or to the tenant's centre (None).
The rules, in words, are in ``docs/assessment.md``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import urges
from core.orders.lifecycle import OPEN, Status
from core.orders.models import Order, OrderEvent
from core.sla.calendar import CST
from federation.outbox import enqueue_fact

COUNTERS = ("received", "intake", "repeated", "answered", "dispatched", "assigned", "sign_due", "signed_in_time",
            "contact_due", "contacted", "closed", "closed_on_time", "overdue", "returned", "escalated",
            "reopened", "urged", "rated", "satisfied", "basically_satisfied", "unsatisfied", "resolved",
            "declined", "merged", "rejected")
# The only payload keys the rules read; rebuild selects exactly these from the event log.
PAYLOAD_KEYS = ("late", "to", "satisfaction", "resolved", "repeat", "by_tenant", "role", "reopened", "superseded")
FACT_NAMESPACE = uuid.UUID("5b0c7c52-6a43-4f0e-9d1f-0a7e55e12345")

Change = tuple[int | None, str, int]  # (unit or None for the centre, counter, delta)


class RecordState(TypedDict, total=False):
    """What the rules have counted of one record so far (its fold state), kept on the order
    (``orders.assessment_state``) between events. A flag named for a counter says that counter, counted once
    per record, has been counted; a flag never set is absent."""

    holding_unit: int | None  # the unit holding the record now (None: this tenant's centre): what it counts against
    received: bool
    dispatched: bool
    signed: bool  # someone here signed it (签收)
    contact_due: bool
    contacted: bool
    closed: bool
    closed_on_time: bool  # false again once the record ran late after all (reopened)
    closed_on_time_unit: int | None  # the unit closed_on_time was counted against
    overdue: bool  # 超期: the deadline timer reads it (``NOT_COUNTED_OVERDUE``)
    overdue_at: str  # when 超期 was counted (the event's time, ISO): the 督办 desk's "overdue this month"
    reopened: bool
    urged: bool
    rating: list[Any]  # the latest rating (回访): [unit, satisfaction, resolved]
    rated_unit: int | None  # the unit the first rating went to: it keeps the later ones


Once = Literal["received", "dispatched", "contact_due", "contacted", "reopened", "urged"]

# Orders whose overdue (超期) this assessment has not counted yet: the deadline timer's condition (SQL over the
# tenant's ``orders``), so that the name of the state it reads is here only.
NOT_COUNTED_OVERDUE = "NOT coalesce((assessment_state->>'overdue')::boolean, false)"


def counted_overdue(order: Order) -> bool:
    """Whether the record's overdue (超期) has been counted (its ``overdue`` event, or a late finish)."""
    return bool((order.assessment_state or {}).get("overdue"))


@dataclass(frozen=True)
class EventView:
    """The parts of an event the rules read."""

    seq: int
    action: str
    actor_unit_id: int | None
    occurred_at: datetime
    payload: dict[str, Any]


def view_of(event: OrderEvent) -> EventView:
    payload = {k: event.payload[k] for k in PAYLOAD_KEYS if event.payload and k in event.payload}
    return EventView(event.seq, event.action, event.actor_unit_id, event.occurred_at, payload)


def cohort_day(created_at: datetime) -> date:
    """The day a record entered its tenant's hands, in China Standard Time: its period."""
    return created_at.astimezone(CST).date()


def origin_len(origin_tenant: str | None) -> int:
    return len(origin_tenant) if origin_tenant else 0


def step(state: RecordState, ev: EventView) -> list[Change]:
    """The counter changes of one event, given the record's fold state; updates the state."""
    p, action = ev.payload, ev.action
    unit = state.get("holding_unit")
    changes: list[Change] = []

    def once(counter: Once, who: int | None) -> None:
        if not state.get(counter):
            state[counter] = True
            changes.append((who, counter, 1))

    if p.get("role") == "co" and action in ("sign", "return", "escalate"):
        return changes  # a co-handler's (协办) part is not the record's: its own record counts it
    if action == "register":
        changes += [(None, "received", 1), (None, "intake", 1)]
        if p.get("repeat"):
            changes.append((None, "repeated", 1))
    elif action == "dispatch-received":  # a parent level gave it here: this tenant must sign it
        once("received", None)
        changes.append((None, "sign_due", 1))
        state["holding_unit"] = None
    elif action == "dispatch":
        once("dispatched", None)
        to = p.get("to")
        if isinstance(to, int) and not isinstance(to, bool):
            state["holding_unit"] = to
            changes += [(to, "assigned", 1), (to, "sign_due", 1)]
        else:  # to a child tenant: its sign comes back as a message
            state["holding_unit"] = None
            changes.append((None, "sign_due", 1))
    elif action == "sign":
        state["signed"] = True
        who = None if p.get("by_tenant") else (ev.actor_unit_id or unit)
        if not p.get("late"):
            changes.append((who, "signed_in_time", 1))
        if not p.get("by_tenant"):  # the level that signed it calls the citizen
            once("contact_due", who)
    elif action == "contact":
        once("contacted", ev.actor_unit_id or unit)
    elif action in ("return", "escalate"):
        who = None if p.get("by_tenant") else (ev.actor_unit_id or unit)
        changes.append((who, "returned" if action == "return" else "escalated", 1))
        state["holding_unit"] = None
    elif action in ("answer", "close"):
        if action == "answer":
            changes.append((None, "answered", 1))
        changes += _finish(state, unit, late=bool(p.get("late")))
    elif action == "overdue":
        changes += _overdue(state, unit)
    elif action == "reopen":
        once("reopened", unit)
    elif action == "reject" and not p.get("superseded"):  # 审核不通过: each rejected reply, against its handler
        changes.append((unit, "rejected", 1))
    elif action == "urge":
        once("urged", unit)
    elif action == "revisit":
        changes += _rating(state, unit, p)
    elif action in ("decline", "redirect"):
        changes.append((None, "declined", 1))
    elif action == "merge":
        changes.append((None, "merged", 1))
    elif action == "withdraw" and not p.get("superseded") and not state.get("signed"):
        changes.append((None, "sign_due", -1))  # 撤回 before anyone here signed it: it was never this level's to sign
    if state.get("overdue") and "overdue_at" not in state:
        state["overdue_at"] = ev.occurred_at.isoformat()
    return changes


def _finish(state: RecordState, unit: int | None, late: bool) -> list[Change]:
    """办结: counted once per record; on time unless it ever went past its time limit."""
    changes: list[Change] = []
    if not state.get("closed"):
        state["closed"] = True
        changes.append((unit, "closed", 1))
        if not late and not state.get("overdue"):
            state["closed_on_time"], state["closed_on_time_unit"] = True, unit
            changes.append((unit, "closed_on_time", 1))
    if late:
        changes += _overdue(state, unit)
    return changes


def _overdue(state: RecordState, unit: int | None) -> list[Change]:
    """超期: once per record; a record counted on time before loses it (it was reopened and ran late)."""
    if state.get("overdue"):
        return []
    state["overdue"] = True
    changes: list[Change] = [(unit, "overdue", 1)]
    if state.get("closed_on_time"):
        state["closed_on_time"] = False
        changes.append((state.get("closed_on_time_unit"), "closed_on_time", -1))
    return changes


def _rating(state: RecordState, unit: int | None, p: dict[str, Any]) -> list[Change]:
    """回访: the record's latest rating counts; a new one replaces the earlier one."""
    changes: list[Change] = []
    previous = state.get("rating")
    if previous:
        old_unit, old_sat, old_resolved = previous
        changes.append((old_unit, old_sat, -1))
        if old_resolved:
            changes.append((old_unit, "resolved", -1))
    else:
        changes.append((unit, "rated", 1))
        state["rated_unit"] = unit
    satisfaction = p.get("satisfaction") or "satisfied"
    resolved = p.get("resolved")
    resolved = bool(resolved) if resolved is not None else satisfaction != "unsatisfied"
    rated_unit = state["rated_unit"]  # the unit the first rating went to keeps the later ones
    changes.append((rated_unit, satisfaction, 1))
    if resolved:
        changes.append((rated_unit, "resolved", 1))
    state["rating"] = [rated_unit, satisfaction, resolved]
    if p.get("reopened") and not state.get("reopened"):  # unsatisfied: 重办
        state["reopened"] = True
        changes.append((unit, "reopened", 1))
    return changes


def live_of(order: Order) -> dict[str, Any]:
    """The record's state for the live overview, after the event: open or not, its limit, urged, and the unit
    leading it now (None: the tenant's centre), for a unit's open orders on the overview."""
    return {"open": order.status in OPEN, "deadline": order.handle_deadline.isoformat()
            if order.handle_deadline else None, "urged": (order.urge_count or 0) > 0, "unit": order.lead_unit_id}


def desk_state(order: Order) -> dict[str, Any]:
    """The record's state for the 督办 desk's index (``core.orders.desk_index``), after the event: who holds it,
    its deadline, what it is about, its urges and what makes it a matter for the desk (no citizen, no content)."""
    status = order.status
    in_hand = status in (Status.dispatched, Status.signed)
    waiting = urges.pending(order)
    return {
        "number": order.number, "root": order.root_number or order.number, "status": status,
        # Held here, not by a child level: by a unit, this level's centre, or its reviewers.
        "holds": status in OPEN and not (in_hand and order.assigned_tenant is not None),
        "unit": order.lead_unit_id if in_hand else None,
        "co": bool(order.co_part) or order.origin_role == "co",
        "deadline": order.handle_deadline.isoformat() if order.handle_deadline else None,
        "category": order.category, "division": order.division_code,
        "urges": order.urge_count or 0, "waiting": len(waiting), "due": urges.earliest_due(order),
        "urged_at": urges.last_raised(order), "reopened": order.reopen_count or 0,
        "unsatisfied": order.satisfaction == "unsatisfied",
        "overdue_at": (order.assessment_state or {}).get("overdue_at"),
    }


def make_fact(tenant: str, order: Order, event: EventView, changes: list[Change],
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The message body of one fact."""
    fact: dict[str, Any] = {
        "t": tenant, "o": order.id, "s": event.seq, "day": cohort_day(order.created_at).isoformat(),
        "ol": origin_len(order.origin_tenant), "c": [list(c) for c in changes], "live": live_of(order),
    }
    fact["desk"] = desk_state(order)
    if event.action == "register":
        fact["stats"] = stats_of(order.division_code, order.category, order.channel, order.type, event.occurred_at)
    if extra:
        fact.update(extra)
    return fact


def stats_of(division: str | None, category: str | None, channel: str, type_: str,
             at: datetime) -> dict[str, Any]:
    """What an intake adds to the statistics."""
    return {"division": division or "", "category": category or "", "channel": channel, "type": type_,
            "at": at.isoformat()}


async def emit(session: AsyncSession, tenant_code: str, tenant_path: str, order: Order, event: OrderEvent,
               extra: dict[str, Any] | None = None) -> None:
    """Fold the event into the record's state and write its fact to the outbox (same transaction)."""
    state = RecordState(**(order.assessment_state or {}))  # a copy: a JSON column changes by a new value
    view = view_of(event)
    changes = step(state, view)
    order.assessment_state = dict(state)
    fact = make_fact(tenant_code, order, view, changes, extra)
    await enqueue_fact(session, uuid.uuid5(FACT_NAMESPACE, str(event.event_id)), tenant_code, tenant_path, fact)
