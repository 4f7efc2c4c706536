"""Plain records and people for the fast tier: an order as one level holds it, its assignments, an actor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.orders.lifecycle import Status
from core.orders.models import Assignment, Order
from iam.actors import Actor, Role
from infra.times import PROVINCE_ZONE

CITY, DISTRICT, SIBLING, PROVINCE = "4101", "410102", "4102", "41"
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=PROVINCE_ZONE)  # a Wednesday, a working day
WATER, ROADS = 7, 8  # two units of the city


def person(role: str, tenant: str = CITY, unit: int | None = None) -> Actor:
    return Actor(user=f"{role}-{tenant}", tenant=tenant, roles=frozenset({Role(role)}), unit_id=unit)


def order(status: Status = Status.registered, *, origin: str | None = None, **fields: Any) -> Order:
    """A record of the city: registered here, or (``origin``) dispatched here from that level above."""
    values: dict[str, Any] = dict(
        id=1, number=f"{CITY}-20261104-000001", status=status, outcome=None, origin_tenant=origin,
        pending_extension=None, handle_deadline=NOW + timedelta(days=5), lead_unit_id=None, accepted_at=None)
    values.update(fields)
    return Order(**values)


def lead(unit: int | None = WATER, *, tenant: str | None = None, signed: bool = False) -> Assignment:
    """The live lead assignment (主办): a unit of this level, or a child level."""
    return Assignment(order_id=1, unit_id=None if tenant else unit, tenant_code=tenant, role="lead",
                      status="signed" if signed else "dispatched", signed_at=NOW if signed else None,
                      ended_at=None, assigned_at=NOW)


def co(unit: int, *, signed: bool = False, replied: bool = False) -> Assignment:
    """A live co-handling assignment (协办) of a unit."""
    return Assignment(order_id=1, unit_id=unit, tenant_code=None, role="co", status="dispatched",
                      signed_at=NOW if signed else None, replied_at=NOW if replied else None, ended_at=None,
                      assigned_at=NOW)
