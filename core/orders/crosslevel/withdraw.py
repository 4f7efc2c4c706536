"""撤回 (withdraw) down the tree: a level takes an order back from the child levels it gave it to.

Sent by: a level that ends an order's live assignments while a child level's part was not finished (it has
not replied): when it dispatches the order elsewhere (改派), merges it, closes or answers it, gets it back
from the lead (退单, 上报), or is itself told to withdraw.

Arrives as: the child level's record closes with the outcome ``withdrawn`` (nothing is left to do with it
there), and that level takes the order back in turn from the levels it gave it to: all the way down. A
record finished already (its step up is on its way) is left as it is; a withdrawal older than the record's
latest dispatch from above is recorded and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.crosslevel.links import append, in_order, record_from_above, send_on, superseded, when
from core.orders.crosslevel.messages import FromAbove
from core.orders.lifecycle import OPEN, WITHDRAWN, Status
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant
from tenants.paths import tenant_paths

log = logging.getLogger(__name__)


class Withdraw(FromAbove):
    kind = "withdraw"

    why: str | None = None  # what took it back above: withdrawn (改派), merged, done, returned, escalated
    reason: str | None = None


def end_assignments(session: AsyncSession, order: Order, status: str, now: datetime,
                    keep: Collection[str] = ()) -> list[str]:
    """End the order's live assignments with ``status``; return the child tenants among them whose part
    was not finished (no reply) and that are not in ``keep`` (given the order again): they must be told."""
    ended = rows.assignments(session, order)
    for assignment in ended:
        assignment.status, assignment.ended_at = status, now
    return sorted({a.tenant_code for a in ended if a.tenant_code is not None and a.replied_at is None} - set(keep))


async def messages(session: AsyncSession, order: Order, sender: str, children: list[str], by_tenant: str,
                   why: str) -> list[Outgoing]:
    """The ``withdraw`` messages to ``children`` about ``order``, held here by tenant ``sender``."""
    if not children:
        return []
    paths = await tenant_paths(session, children)
    return [Outgoing(paths[code], Withdraw(origin_tenant=sender, origin_number=order.number, by_tenant=by_tenant,
                                           why=why)) for code in children]


async def take_back(session: AsyncSession, order: Order, sender: str, status: str, now: datetime, by_tenant: str,
                    keep: Collection[str] = ()) -> list[Outgoing]:
    """End the order's live assignments here; the withdrawals to the child levels whose part was not
    finished, to be sent with the step's event."""
    return await messages(session, order, sender, end_assignments(session, order, status, now, keep), by_tenant,
                          status)


async def apply(session: AsyncSession, tenant: Tenant, message: Withdraw, message_id: str) -> None:
    order = await record_from_above(session, tenant, message)
    by = message.by_tenant
    if not in_order(order, message.origin_tenant, message.seq):  # dispatched here again since
        await superseded(session, tenant, order, "withdraw", message, by, message_id)
        return
    if order.status not in OPEN:  # finished here already: its step up is on the way, nothing to take back
        log.info("withdraw %s: record %s is %s already, nothing to take back", message_id, order.number,
                 order.status)
        return
    now = when(message)
    taken_back = await take_back(session, order, tenant.code, "withdrawn", now, by)
    before = order.status
    order.status, order.outcome, order.closed_at, order.updated_at = Status.closed, WITHDRAWN, now, now
    order.pending_extension = None
    event = await append(session, tenant, order, "withdraw", before, by, {"by_tenant": by, "why": message.why},
                         now, reason=message.reason)
    await send_on(session, tenant, event, taken_back)
