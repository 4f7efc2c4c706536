"""The desk's inbox (待办): tabs of the orders waiting for the person asking, and their counts.

Relative to the person: a unit's staff see their unit's assignments (to sign, to handle) and the orders of
their unit done or urged; a level's centre (its operators, dispatchers, reviewers, callers, supervisors) sees its
tenant's orders in each state. The closed tabs (to_revisit, done) hold the orders taken in the last
``window_days`` days (the ``created_at`` index bounds them; the whole archive is the orders list).

    to_dispatch 待派单  held by this level's centre: registered, sent back (退单/上报), or received from above
    to_sign     待签收  dispatched, not yet signed (a unit's staff: their unit's assignment, lead or co)
    to_handle   待办理  signed, not yet replied (a unit's staff: their unit's assignment)
    to_review   待审核  a reply waiting for review (replied), or approved and waiting to be closed
    to_revisit  待回访  closed here with an answer, the citizen wants a call back, not yet called about this answer
                        (never rated, or rated unsatisfied and closed again since: ``rules.awaits_rating``)
    done        已办结  closed
    urged       被督办  open and urged (督办) at least once
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, or_, select, true, tuple_

from core.orders.lifecycle import OPEN, Status
from core.orders.models import Assignment, Order
from core.orders.rules import RATED


class InboxTab(StrEnum):
    """The inbox's tabs (待办), in the order the console shows them."""

    to_dispatch = "to_dispatch"  # 待派单
    to_sign = "to_sign"  # 待签收
    to_handle = "to_handle"  # 待办理
    to_review = "to_review"  # 待审核
    to_revisit = "to_revisit"  # 待回访
    done = "done"  # 已办结
    urged = "urged"  # 被督办


TABS = tuple(InboxTab)
CLOSED_TABS = frozenset({"to_revisit", "done"})  # every other tab holds open orders only
# A unit's own tabs: their condition is the unit's live assignment, which is also what makes them visible to it.
ASSIGNMENT_TABS = frozenset({"to_sign", "to_handle"})
_CENTRE_HELD = [Status.registered, Status.dispatched, Status.signed, Status.returned, Status.escalated]
_OPEN = [s.value for s in OPEN]


def _live(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return select(Assignment.id).where(Assignment.order_id == Order.id, Assignment.ended_at.is_(None),
                                       *conditions).exists()


def _unit_live(unit: int, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The order is one of the unit's live assignments: ``id IN (…)``, so PostgreSQL starts from the unit's few
    live assignments (index ``ix_assignments_unit_live``, t0007) instead of walking every order of the tenant."""
    return Order.id.in_(select(Assignment.order_id).where(Assignment.unit_id == unit, Assignment.ended_at.is_(None),
                                                         *conditions))


_ASSIGNMENT_STATE = {
    "to_sign": (Assignment.signed_at.is_(None),),
    "to_handle": (Assignment.signed_at.is_not(None), Assignment.replied_at.is_(None)),
}


def _unit_assignments(unit: int, tab: str):  # type: ignore[no-untyped-def]
    """How many orders wait in one of the unit's own tabs, counted on its live assignments alone."""
    return (select(func.count(Assignment.order_id.distinct()))
            .where(Assignment.unit_id == unit, Assignment.ended_at.is_(None), *_ASSIGNMENT_STATE[tab])
            .correlate(None).scalar_subquery())


def _co_handled(unit: int) -> Select[tuple[int]]:
    return select(Assignment.order_id).where(Assignment.unit_id == unit, Assignment.role == "co")


def _units_own(unit: int) -> ColumnElement[bool]:
    """The orders a unit's 已办结 and 被督办 tabs hold: those it leads (主办) or co-handles (协办) — not one it
    sent back (退单) and another unit now leads, which it may still read but is no longer its work."""
    return or_(Order.lead_unit_id == unit, Order.id.in_(_co_handled(unit)))


def _unit_done(unit: int, start: datetime):  # type: ignore[no-untyped-def]
    """How many of the unit's orders (``_units_own``) were closed among those taken since ``start``: the ones it
    leads (a range of ``ix_orders_lead_unit_created``, t0007) plus the ones it co-handles, counted apart, so
    neither part reads the tenant's whole month of closed orders to find the unit's."""
    recent_closed = (Order.status == Status.closed, Order.created_at >= start)
    led = select(func.count()).select_from(Order).where(Order.lead_unit_id == unit, *recent_closed)
    co_only = select(func.count()).select_from(Order).where(
        Order.id.in_(_co_handled(unit)),
        Order.lead_unit_id.is_distinct_from(unit), *recent_closed)
    return led.correlate(None).scalar_subquery() + co_only.correlate(None).scalar_subquery()


def conditions(unit_scope: int | None, since: datetime) -> dict[str, ColumnElement[bool]]:
    """Each tab's condition on an order, for this person (``visibility.scope``)."""
    recent_closed = and_(Order.status == Status.closed, Order.created_at >= since)
    urged = and_(Order.status.in_(_OPEN), Order.urge_count > 0)
    if unit_scope is not None:
        return {
            "to_dispatch": false(), "to_review": false(), "to_revisit": false(),
            "to_sign": _unit_live(unit_scope, *_ASSIGNMENT_STATE["to_sign"]),
            "to_handle": _unit_live(unit_scope, *_ASSIGNMENT_STATE["to_handle"]),
            "done": and_(recent_closed, _units_own(unit_scope)), "urged": and_(urged, _units_own(unit_scope)),
        }
    return {
        "to_dispatch": and_(Order.status.in_(_CENTRE_HELD), ~_live(Assignment.role == "lead")),
        "to_sign": Order.status == Status.dispatched,
        "to_handle": Order.status == Status.signed,
        "to_review": Order.status.in_([Status.replied, Status.approved]),
        "to_revisit": and_(recent_closed, Order.origin_tenant.is_(None), Order.callback.is_(True),
                           or_(Order.satisfaction.is_(None), Order.satisfaction.not_in(RATED)),
                           Order.outcome.in_(["resolved", "answered"])),
        "done": recent_closed, "urged": urged,
    }


def since(now: datetime, window_days: int) -> datetime:
    return now - timedelta(days=window_days)


def counts_query(unit_scope: int | None, start: datetime) -> Select:  # type: ignore[type-arg]
    """Every tab's count in one statement: the open tabs over the open orders, the closed ones over the recent
    closed orders. Two aggregates side by side, each on its own index (status; created_at), rather than one scan
    under ``open OR recent``, which PostgreSQL can only answer by reading every order."""
    tabs = conditions(unit_scope, start)
    open_tabs = [t for t in TABS if t not in CLOSED_TABS]
    over_open = select(*(func.count().filter(tabs[t]).label(t) for t in open_tabs)).where(Order.status.in_(_OPEN))
    over_closed = select(*(func.count().filter(tabs[t]).label(t) for t in CLOSED_TABS)).where(
        Order.status == Status.closed, Order.created_at >= start)
    if unit_scope is not None:
        # The unit's own tabs from its live assignments alone; 被督办 over the urged orders it leads or co-handles.
        over_open = select(
            *(func.count().filter(tabs[t]).label(t) for t in open_tabs if t not in ASSIGNMENT_TABS),
            *(_unit_assignments(unit_scope, t).label(t) for t in sorted(ASSIGNMENT_TABS)),
        ).where(Order.status.in_(_OPEN), Order.urge_count > 0, _units_own(unit_scope))
        over_closed = select(_unit_done(unit_scope, start).label("done"), literal(0).label("to_revisit"))
    opened, closed = over_open.subquery("open_tabs"), over_closed.subquery("closed_tabs")
    columns = (getattr(closed.c if t in CLOSED_TABS else opened.c, t) for t in TABS)
    return select(*columns).select_from(opened.join(closed, true()))  # one row each: side by side


def tab_query(tab: str, unit_scope: int | None, start: datetime) -> Select[tuple[Order]]:
    """The orders of one tab (no order, no page)."""
    return select(Order).where(conditions(unit_scope, start)[tab])


def unit_work_page(tab: str, unit: int, after: tuple[datetime | None, int] | None, limit: int) -> Select[tuple[Order]]:
    """A page of a unit's own tab (待签收 / 待办理) by deadline: the unit's next ``limit + 1`` live assignments in
    deadline order, read from their index (t0012: each live assignment carries its order's handle deadline), and
    only their orders read. ``after``: the page's cursor, the last order's (deadline, id); a deadline of None (the
    clock stopped) sorts last, as the orders list sorts it. The caller still orders and keys the orders
    themselves (``queries.paged``), which gives the same order."""
    deadline = Assignment.handle_deadline
    live = (select(deadline, Assignment.order_id)
            .where(Assignment.unit_id == unit, Assignment.ended_at.is_(None), *_ASSIGNMENT_STATE[tab]))
    if after is not None:
        value, last_id = after
        live = live.where(and_(deadline.is_(None), Assignment.order_id > last_id) if value is None else
                          or_(tuple_(deadline, Assignment.order_id) > tuple_(value, last_id), deadline.is_(None)))
    firsts = live.distinct().order_by(deadline.asc().nulls_last(), Assignment.order_id).limit(limit + 1).subquery()
    return select(Order).where(Order.id.in_(select(firsts.c.order_id)))


# Where work waits, most pressing first: what a person opening the inbox without naming a tab is shown.
AUTO = "auto"
AUTO_ORDER = ("to_sign", "to_handle", "to_dispatch", "to_review", "to_revisit", "urged")


def busy_tab_query(unit_scope: int | None, start: datetime) -> Select:  # type: ignore[type-arg]
    """The first tab of ``AUTO_ORDER`` holding an order, in one statement of index probes (NULL: none)."""
    found: ColumnElement[str | None] = literal(None)
    for tab in reversed(AUTO_ORDER):
        probe = tab_query(tab, unit_scope, start).with_only_columns(Order.id).limit(1).exists()
        found = case((probe, tab), else_=found)
    return select(found)


def tab_sort(tab: str) -> str:
    """Open work by its deadline, most urgent first; closed work newest first."""
    return "-created_at" if tab in CLOSED_TABS else "handle_deadline"
