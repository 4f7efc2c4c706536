"""撤回 (withdraw): a level takes an order back from the child levels it gave it to.

A level ends an order's live assignments when it dispatches the order again elsewhere (改派), merges
it, closes it, or gets it back from its lead unit. A child level (a tenant below) whose part was not
finished by then (it has not replied) still holds its own record of the order, open, and may be
working on it. So it is told, with a ``withdraw`` message: its record closes (outcome ``withdrawn``)
and it takes the order back in turn from the levels it gave it to (``federation.protocols``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.paths import tenant_paths


def end_assignments(session: AsyncSession, order: Order, status: str, now: datetime,
                    keep: Collection[str] = ()) -> list[str]:
    """End the order's live assignments with ``status``; return the child tenants among them whose part
    was not finished (no reply) and that are not in ``keep`` (given the order again): they must be told."""
    ended = rows.assignments(session, order)
    for assignment in ended:
        assignment.status, assignment.ended_at = status, now
    return sorted({a.tenant_code for a in ended if a.tenant_code is not None and a.replied_at is None} - set(keep))


async def withdrawals(session: AsyncSession, order: Order, sender: str, children: list[str], by_tenant: str,
                      why: str) -> list[Outgoing]:
    """The ``withdraw`` messages to ``children`` about ``order``, held here by tenant ``sender``. ``why`` is
    what took it back here (the ended assignments' status: withdrawn, merged, done, returned, ...)."""
    if not children:
        return []
    paths = await tenant_paths(session, children)
    return [Outgoing("withdraw", paths[code], {"origin_tenant": sender, "origin_number": order.number,
                                               "by_tenant": by_tenant, "why": why}) for code in children]
