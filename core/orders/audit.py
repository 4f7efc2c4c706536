"""`hotline audit verify`: walk every order's event chain in a tenant and name the first broken event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.orders.events import BrokenEvent, verify_chain
from core.orders.models import Order, OrderEvent
from infra.db import TENANT_SCHEMA


@dataclass
class AuditReport:
    orders: int
    events: int
    broken: BrokenEvent | None


def verify_tenant(engine: Engine, schema: str) -> AuditReport:
    """Check every chain of one tenant (schema from the registry); stops at the first broken event."""
    bound = engine.execution_options(schema_translate_map={TENANT_SCHEMA: schema})
    orders = events = 0
    with Session(bound) as session:
        numbers = {order_id: number for order_id, number in session.execute(select(Order.id, Order.number))}
        stream = session.scalars(
            select(OrderEvent).order_by(OrderEvent.order_id, OrderEvent.seq).execution_options(yield_per=2000))
        current: int | None = None
        chain: list[OrderEvent] = []
        for event in stream:
            if event.order_id != current:
                broken = _check(numbers, current, chain)
                if broken:
                    return AuditReport(orders, events, broken)
                current, chain = event.order_id, []
                orders += 1
            chain.append(event)
            events += 1
        return AuditReport(orders, events, _check(numbers, current, chain))


def _check(numbers: dict[int, str], order_id: int | None, chain: list[OrderEvent]) -> BrokenEvent | None:
    if order_id is None:
        return None
    return verify_chain(numbers.get(order_id, f"#{order_id}"), chain)
