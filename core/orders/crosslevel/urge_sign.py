"""督办签收 up the tree: the holder of the order acknowledged the urges waiting for it.

Taken by: whoever holds the record while an urge waits on it (``sign-urge``): the handler of the unit holding it,
the level's centre (its operators, dispatchers) when nothing is dispatched, its reviewers while a reply waits for
review. One sign acknowledges every urge waiting there, with an optional note (what the holder will do).

Travels: up, level by level, to the record each urge was raised on (a level counts the sign on its own record and
passes it on up for the urges raised above it); the urges' levels see when the holder signed each, by whom, and
whether by its 督办时限 (``core.orders.urges``). A level whose child holds the order again by the time the sign
arrives (the order was given back and handed down elsewhere) passes the sign down too, so every level on the way to
the holder agrees.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows, urges
from core.orders.context import Context
from core.orders.crosslevel import urge
from core.orders.crosslevel.links import append, live_child, parent_path, refuse_from_below, send_on, when
from core.orders.crosslevel.messages import FromBelow, TenantCode
from core.orders.models import Order
from core.units.models import Unit
from federation.outbox import Outgoing
from federation.transport import PermanentError
from tenants.models import Tenant


class UrgeSigned(FromBelow):
    kind = "urge-signed"

    urge_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    signed_tenant: TenantCode  # the level that signed (the holder's: this sender, or a level below it)
    signed_by: str | None = Field(None, max_length=100)  # the person's name
    signed_unit: str | None = Field(None, max_length=200)  # the unit's name, if a unit held it
    note: str | None = Field(None, max_length=2000)


def _up(order: Order, tenant_code: str, ids: list[str], signed: dict[str, Any]) -> list[Outgoing]:
    """The sign of the urges raised above this record, to the level that dispatched it here."""
    above = [i for i in ids if (urges.entry(order, i) or {}).get("raised_on") != tenant_code]
    if not above or order.origin_tenant is None:
        return []
    return [Outgoing(parent_path(order), UrgeSigned(
        origin_number=order.origin_number, by_tenant=tenant_code, number=order.number,
        urge_ids=[uuid.UUID(i) for i in above], signed_tenant=signed["signed_tenant"], signed_by=signed["signed_by"],
        signed_unit=signed["signed_unit"], note=signed["note"]))]


async def sign(ctx: Context, order: Order, note: str | None) -> dict[str, Any]:
    """The holder's 督办签收 of every urge waiting on this record; the sign goes up to where each was raised."""
    unit = await ctx.session.get(Unit, ctx.actor.unit_id) if ctx.actor.unit_id is not None else None
    signed = {"signed_at": ctx.now.isoformat(), "signed_by": ctx.actor.name or ctx.actor.user,
              "signed_tenant": ctx.tenant.code, "signed_unit": unit.name if unit is not None else None, "note": note}
    ids = urges.sign(order, [e["id"] for e in urges.pending(order)], signed)
    ctx.outgoing += _up(order, ctx.tenant.code, ids, signed)
    return {"urge_ids": ids, "note": note,
            "in_time": [i for i in ids if urges.state(urges.entry(order, i) or {}, ctx.now) == urges.UrgeState.signed]}


async def apply(session: AsyncSession, tenant: Tenant, message: UrgeSigned, message_id: str) -> None:
    """The sign on this record's urges; on up for those raised above, and down to a child holding the order now
    that is not the one that signed. A sign arriving late changes nothing: the first one stands."""
    refuse_from_below(tenant, message)
    order = await rows.read_for_change(session, number=message.origin_number)
    if order is None:
        raise PermanentError(f"no order {message.origin_number} here")
    child = message.by_tenant
    if not any(a.tenant_code == child for a in rows.assignments(session, order, live=False)):
        raise PermanentError(f"refused {message.kind}: order {order.number} was never with {child}")
    ids = [str(i) for i in message.urge_ids]
    if not any(urges.entry(order, i) for i in ids):
        raise PermanentError(f"refused {message.kind}: order {order.number} has none of the urges {', '.join(ids)}")
    now = when(message)
    signed = {"signed_at": now.isoformat(), "signed_by": message.signed_by, "signed_tenant": message.signed_tenant,
              "signed_unit": message.signed_unit, "note": message.note}
    newly = urges.sign(order, ids, signed)
    if not newly:
        return
    order.updated_at = now
    event = await append(session, tenant, order, "urge-signed", order.status, child,
                         {"by_tenant": child, "number": message.number, "urge_ids": newly,
                          "signed_tenant": message.signed_tenant}, now)
    holder = live_child(rows.assignments(session, order))
    down = await urge.pass_on(session, tenant.code, order, newly) if holder not in (None, child) else []
    await send_on(session, tenant, event, _up(order, tenant.code, newly, signed) + down)
