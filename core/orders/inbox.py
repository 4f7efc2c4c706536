"""The desk's inbox (待办): tabs of the orders waiting for the person asking, and their counts.

Relative to the person: a unit's staff see their unit's assignments (to sign, to handle) and the orders of
their unit done or urged; a level's centre (its operators, dispatchers, reviewers, callers, supervisors) sees its
tenant's orders in each state. The closed tabs (to_revisit, done) hold the orders taken in the last
``window_days`` days (the ``created_at`` index bounds them; the whole archive is the orders list).

    to_dispatch 待派单  held by this level's centre: registered, sent back (退单/上报), or received from above
    to_sign     待签收  dispatched, not yet signed (a unit's staff: their unit's assignment, lead or co)
    to_handle   待办理  signed, not yet replied (a unit's staff: their unit's assignment)
    to_review   待审核  a reply waiting for review (replied), or approved and waiting to be closed
    to_revisit  待回访  closed here with an answer, the citizen wants a call back, not yet called
    done        已办结  closed
    urged       被督办  open and urged (督办) at least once
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, select

from core.orders import visibility
from core.orders.lifecycle import OPEN, Status
from core.orders.models import Assignment, Order

TABS = ("to_dispatch", "to_sign", "to_handle", "to_review", "to_revisit", "done", "urged")
CLOSED_TABS = frozenset({"to_revisit", "done"})
_CENTRE_HELD = [Status.registered, Status.dispatched, Status.signed, Status.returned, Status.escalated]
_OPEN = [s.value for s in OPEN]


def _live(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return select(Assignment.id).where(Assignment.order_id == Order.id, Assignment.ended_at.is_(None),
                                       *conditions).exists()


def conditions(unit_scope: int | None, since: datetime) -> dict[str, ColumnElement[bool]]:
    """Each tab's condition on an order, for this person (``visibility.scope``)."""
    recent_closed = and_(Order.status == Status.closed, Order.created_at >= since)
    urged = and_(Order.status.in_(_OPEN), Order.urge_count > 0)
    if unit_scope is not None:
        mine = Assignment.unit_id == unit_scope
        return {
            "to_dispatch": false(), "to_review": false(), "to_revisit": false(),
            "to_sign": _live(mine, Assignment.signed_at.is_(None)),
            "to_handle": _live(mine, Assignment.signed_at.is_not(None), Assignment.replied_at.is_(None)),
            "done": recent_closed, "urged": urged,
        }
    return {
        "to_dispatch": and_(Order.status.in_(_CENTRE_HELD), ~_live(Assignment.role == "lead")),
        "to_sign": Order.status == Status.dispatched,
        "to_handle": Order.status == Status.signed,
        "to_review": Order.status.in_([Status.replied, Status.approved]),
        "to_revisit": and_(recent_closed, Order.origin_tenant.is_(None), Order.callback.is_(True),
                           Order.satisfaction.is_(None), Order.outcome.in_(["resolved", "answered"])),
        "done": recent_closed, "urged": urged,
    }


def since(now: datetime, window_days: int) -> datetime:
    return now - timedelta(days=window_days)


def counts_query(unit_scope: int | None, start: datetime) -> Select:  # type: ignore[type-arg]
    """Every tab's count in one statement, over the open orders and the recent closed ones."""
    tabs = conditions(unit_scope, start)
    query = select(*(func.count().filter(tabs[tab]).label(tab) for tab in TABS)).select_from(Order)
    query = query.where(Order.status.in_(_OPEN) | and_(Order.status == Status.closed, Order.created_at >= start))
    return visibility.visible(query, unit_scope)  # type: ignore[arg-type]


def tab_query(tab: str, unit_scope: int | None, start: datetime) -> Select[tuple[Order]]:
    """The orders of one tab (no order, no page)."""
    return visibility.visible(select(Order), unit_scope).where(conditions(unit_scope, start)[tab])


def tab_sort(tab: str) -> str:
    """Open work by its deadline, most urgent first; closed work newest first."""
    return "-created_at" if tab in CLOSED_TABS else "handle_deadline"
