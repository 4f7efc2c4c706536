"""Who may see which order (可见范围), in one place: the tenant's centre sees every order of its tenant (the
route's guard has let the person into the tenant); a unit's staff see only the orders their unit leads
(主办) or co-handles (协办), or did. A query applies it in SQL (``visible``); a step that has read one order
with its assignments applies it in memory (``may_see``); both from the actor's ``scope``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select

from core.orders.models import Assignment, Order
from iam.actors import Actor


def scope(actor: Actor) -> int | None:
    """The unit a person sees orders of; None: every order of the tenant."""
    return (actor.unit_id or 0) if actor.unit_only else None


def visible(query: Select[tuple[Order]], unit_scope: int | None) -> Select[tuple[Order]]:
    """Limit a query to what a unit's staff may see: orders their unit leads or co-handles (or did)."""
    if unit_scope is None:
        return query
    co = select(Assignment.id).where(Assignment.order_id == Order.id, Assignment.unit_id == unit_scope).exists()
    return query.where(or_(Order.lead_unit_id == unit_scope, co))


def may_see(order: Order, assignments: Sequence[Assignment], unit_scope: int | None) -> bool:
    """``visible`` for one order already read with all its assignments (ended ones too)."""
    return unit_scope is None or order.lead_unit_id == unit_scope or any(a.unit_id == unit_scope
                                                                         for a in assignments)
