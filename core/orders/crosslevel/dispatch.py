"""派单 down the tree: a level gives an order to a child level, as lead (主办) or co-handler (协办).

Sent by: a dispatcher of the level holding the order at its centre (``core.orders.service``), to a tenant
below it; a child level's first step on a record it had not signed yet (dispatching it on, answering it)
signs it for the level above first (``sign``).

Arrives as: the child level's own record of the order, held by its centre, waiting for its sign, with the
order's content, the citizen (the level works on the order and calls the citizen), the time limits as the
level above set them, the originator's number and the citizen's query code: one request, one identity at
every level. Dispatched to the same level again (after it sent the order back, or anew while it held it),
the same record lives again: its part starts over, and what it had passed on below is withdrawn (撤回).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.context import Context
from core.orders.crosslevel import withdraw
from core.orders.crosslevel.links import append, in_order, refuse_from_above, send_on, superseded, when
from core.orders.crosslevel.messages import FromAbove, OrderNumber
from core.orders.lifecycle import Status
from core.orders.models import Order, transient
from core.orders.numbers import new_query_code, record_number
from core.orders.text import search_document
from federation.outbox import Outgoing
from tenants.models import Tenant

# What a dispatch carries of the order.
CARRIED = ("channel", "type", "category", "title", "content", "address", "division_code", "citizen_name",
           "citizen_phone", "anonymous", "callback", "urgency")


class Dispatch(FromAbove):
    kind = "dispatch"

    origin_path: str  # the sending level's tenant path: where this level's steps up go
    root_number: OrderNumber | None = None  # the originator's number (None: sent before it was carried)
    query_code: str | None = None  # the citizen's code of the request
    role: Literal["lead", "co"] = "lead"
    co_part: bool = False  # the part given is a co-handler's (协办): this level's or one above it on the way
    note: str | None = None
    sign_deadline: datetime | None = None
    handle_deadline: datetime | None = None
    deadline_estimated: bool = False
    channel: str
    type: str
    category: str | None = None
    title: str
    content: str
    address: str | None = None
    division_code: str | None = None
    citizen_name: str | None = None
    citizen_phone: str | None = None
    anonymous: bool = False
    callback: bool = True
    urgency: str = "normal"


def send(ctx: Context, order: Order, receivers: list[tuple[str, str]], note: str | None,
         sign_deadline: datetime) -> None:
    """The order to each (child path, lead or co) receiver. Built from the record's own values without validating
    them again (on the hot path of dispatch); the receiver validates what it reads (``Message.read``)."""
    for path, role in receivers:
        ctx.outgoing.append(Outgoing(path, Dispatch.model_construct(
            origin_tenant=ctx.tenant.code, origin_path=ctx.tenant.path, origin_number=order.number,
            by_tenant=ctx.tenant.code, root_number=order.root_number or order.number, query_code=order.query_code,
            role=role, co_part=role == "co" or bool(order.co_part), note=note, sign_deadline=sign_deadline,
            handle_deadline=order.handle_deadline,
            deadline_estimated=order.deadline_estimated, **{name: getattr(order, name) for name in CARRIED})))


async def apply(session: AsyncSession, tenant: Tenant, message: Dispatch, message_id: str) -> None:
    """This tenant's own record of the order, awaiting its sign."""
    refuse_from_above(tenant, message)
    now = when(message)
    existing = await rows.read_received_for_change(session, (message.origin_tenant, message.origin_number))
    if isinstance(existing, Order):
        if not in_order(existing, message.origin_tenant, message.seq):
            await superseded(session, tenant, existing, "dispatch-received", message, message.origin_tenant,
                             message_id)
        else:
            await _dispatched_again(session, tenant, existing, message, now)
        return
    order_id = existing  # none here yet: the id drawn for the new record
    order = transient(Order, dict(
        id=order_id, number=record_number(tenant.code, now, order_id),
        query_code=message.query_code or new_query_code(tenant.code),
        root_number=message.root_number or message.origin_number, status=Status.dispatched,
        origin_tenant=message.origin_tenant, origin_number=message.origin_number,
        handle_deadline=message.handle_deadline, sign_deadline=message.sign_deadline,
        deadline_estimated=message.deadline_estimated, repeat_count=0, urge_count=0, reopen_count=0, merged_count=0,
        origin_path=message.origin_path, origin_role=message.role, co_part=message.co_part,
        created_at=now, updated_at=now, **{field: getattr(message, field) for field in CARRIED},
    ))  # written by the closing statement (rows.add_order), never by the session
    in_order(order, message.origin_tenant, message.seq)  # the first message from above: remembered
    rows.add_order(session, order, search_document(message.title, message.content, message.address))
    await append(session, tenant, order, "dispatch-received", None, message.origin_tenant,
                 {"from": message.origin_tenant, "origin_number": message.origin_number, "note": message.note}, now)


async def _dispatched_again(session: AsyncSession, tenant: Tenant, order: Order, message: Dispatch,
                            now: datetime) -> None:
    """The same record, live again and back with this level's centre, unsigned: after a send-back, or
    dispatched anew (改派 to the same level) while this level held it. Its part starts over, so what it had
    passed on (a unit, a level below, co-handlers) is taken back (撤回) first."""
    by = message.origin_tenant
    taken_back = await withdraw.take_back(session, order, tenant.code, "withdrawn", now, by)
    before = order.status
    order.status, order.closed_at, order.outcome, order.accepted_at = Status.dispatched, None, None, None
    order.lead_unit_id, order.assigned_tenant = None, None
    order.origin_role = message.role  # dispatched anew: as lead or co-handler, whichever it was given as now
    order.co_part = message.co_part
    order.handle_deadline, order.sign_deadline = message.handle_deadline, message.sign_deadline
    order.pending_extension, order.paused_remaining_s = None, None  # the level above set the time limit anew
    order.updated_at = now
    event = await append(session, tenant, order, "dispatch-received", before, by,
                         {"from": by, "origin_number": message.origin_number, "note": message.note}, now)
    await send_on(session, tenant, event, taken_back)

