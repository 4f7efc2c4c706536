"""督办 down to whoever holds the order now, however deep; each urge one urge at every level.

Taken by: a supervisor of the level whose record it is, or of any level above it (a province supervisor
urging a city's order), on any open record, with a reason and optionally a 督办时限 (``due``: by when the holder
must sign it); and by the timer, once, on an overdue record held at its own level, by the overdue policy there.

Travels: each level counts the urge on its record (every level on the way is answerable for the order);
a level whose record is with a child level passes the urge on to that child, and so on down to the level
that holds it (its unit or its centre). A level holding the order itself keeps it.

One urge, one identity: the urge's ``urge_id`` is drawn where it was raised and travels with it, so each record
keeps it once (``core.orders.urges``) and ``urge_count`` counts distinct urges, however many levels relayed it.
Passed on again: when a level hands the order down (派单 to a child level, 审核不通过/重办 back to one), it sends
the child its urges as they stand, signed or waiting, so the urges waiting follow the order to whoever holds it;
a child that has an urge already counts it no second time, and takes a sign it did not know of
(``core.orders.crosslevel.urge_sign`` sends a sign up, and down again from a level whose child holds the order).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows, urges
from core.orders.context import Context
from core.orders.crosslevel.links import append, child_path, live_child, record_from_above, send_on, when
from core.orders.crosslevel.messages import FromAbove, TenantCode
from core.orders.models import Order
from federation.outbox import Outgoing
from tenants.models import Tenant

# What an urge relayed without an identity (sent before urges carried one) is known by, per level.
_LEGACY = uuid.UUID("9c1e5a34-3c2b-4a8e-8f62-12345d0e0a11")


class Urge(FromAbove):
    kind = "urge"

    reason: str | None = None
    urge_id: uuid.UUID | None = None  # the urge's identity, drawn where it was raised (None: sent before it was)
    raised_on: TenantCode | None = None  # the level whose record it was raised on
    raised_at: datetime | None = None
    by_name: str | None = Field(None, max_length=100)  # who urged
    due: datetime | None = None  # 督办时限
    # The holder's sign (督办签收), when the urge is passed on as it stands and was signed already.
    signed_at: datetime | None = None
    signed_by: str | None = Field(None, max_length=100)
    signed_tenant: TenantCode | None = None
    signed_unit: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


def _message(tenant_code: str, order: Order, e: dict[str, Any]) -> Urge:
    """One urge of this record, as it stands, to the level below."""
    return Urge(origin_tenant=tenant_code, origin_number=order.number, by_tenant=e["by_tenant"], reason=e["reason"],
                urge_id=uuid.UUID(e["id"]), raised_on=e["raised_on"], raised_at=_time(e["at"]),
                by_name=(e.get("by") or "")[:100] or None, due=_time(e.get("due")), signed_at=_time(e.get("signed_at")),
                signed_by=e.get("signed_by"), signed_tenant=e.get("signed_tenant"), signed_unit=e.get("signed_unit"),
                note=e.get("note"))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _entry(message: Urge, message_id: str) -> dict[str, Any]:
    """The urge a message brings, as this record keeps it."""
    urge_id = message.urge_id or uuid.uuid5(_LEGACY, str(message_id))
    e = urges.new_entry(str(urge_id), message.raised_on or message.origin_tenant, message.by_tenant,
                        message.by_name or f"tenant:{message.by_tenant}", message.reason, message.due,
                        message.raised_at or when(message))
    if message.signed_at is not None:
        e.update(signed_at=message.signed_at.isoformat(), signed_by=message.signed_by,
                 signed_tenant=message.signed_tenant, signed_unit=message.signed_unit, note=message.note)
    return e


async def pass_on(session: AsyncSession, tenant_code: str, order: Order, ids: list[str] | None = None,
                  to: str | None = None) -> list[Outgoing]:
    """This record's urges (all, or those named), as they stand, to the child level ``to`` (default: the child
    level holding the order, if one does)."""
    child = to or live_child(rows.assignments(session, order))
    if child is None:
        return []
    chosen = [e for e in urges.entries(order) if ids is None or e["id"] in ids]
    if not chosen:
        return []
    path = await child_path(session, child)
    return [Outgoing(path, _message(tenant_code, order, e)) for e in chosen]


async def urge(ctx: Context, order: Order, reason: str | None, due: datetime | None) -> dict[str, object]:
    """The staff's (or the timer's) urge on this level's record."""
    raised = urges.new_entry(str(uuid.uuid4()), ctx.tenant.code, ctx.actor.tenant, ctx.actor.name or ctx.actor.user,
                             reason, due, ctx.now)
    urges.add(order, raised)
    order.urge_count += 1
    ctx.outgoing += await pass_on(ctx.session, ctx.tenant.code, order, [raised["id"]])
    return {"urge_count": order.urge_count, "by_tenant": ctx.actor.tenant, "urge_id": raised["id"],
            **({"due": raised["due"]} if due else {})}


async def apply(session: AsyncSession, tenant: Tenant, message: Urge, message_id: str) -> None:
    """A new urge is counted and passed on down; one this record has is counted no second time, and a sign it
    brings (the urge was signed meanwhile) is taken, and passed on down too."""
    order = await record_from_above(session, tenant, message)
    # Not in the link's order (``in_order``): an urge changes no state another step could undo or be undone by, so
    # it neither waits for the steps before it nor makes a step sent before it (a dispatch again) look late.
    arrived = _entry(message, message_id)
    now = when(message)
    if urges.add(order, arrived):
        order.urge_count += 1
        order.updated_at = now
        event = await append(session, tenant, order, "urge", order.status, message.by_tenant,
                             {"by_tenant": message.by_tenant, "urge_count": order.urge_count, "urge_id": arrived["id"],
                              "raised_on": arrived["raised_on"], **({"due": arrived["due"]} if arrived["due"] else {}),
                              **({"signed": True} if arrived["signed_at"] else {})}, now, reason=message.reason)
        await send_on(session, tenant, event, await pass_on(session, tenant.code, order, [arrived["id"]]))
        return
    if arrived["signed_at"] is None or not urges.sign(order, [arrived["id"]], arrived):
        return  # nothing new: an urge passed on again, as this record has it
    order.updated_at = now
    event = await append(session, tenant, order, "urge-signed", order.status, message.origin_tenant,
                         {"by_tenant": message.origin_tenant, "urge_ids": [arrived["id"]], "from_above": True,
                          "signed_tenant": arrived["signed_tenant"]}, now)
    await send_on(session, tenant, event, await pass_on(session, tenant.code, order, [arrived["id"]]))
