"""Intake (受理): a citizen's request becomes an order of this level, with its number, query code, time limit
and, for a repeat caller, the count of their earlier requests; related orders are linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core.orders import rows
from core.orders.context import Context, field_error, policy_for
from core.orders.duplicates import intake_reads, scored
from core.orders.errors import NotYourTenant, RoleNeeded
from core.orders.events import append_event
from core.orders.facts import emit as emit_fact
from core.orders.intake_policy import check_backfill
from core.orders.lifecycle import Action, Status
from core.orders.models import Attachment, Order, OrderEvent, OrderLink, transient
from core.orders.numbers import new_query_code, record_number
from core.orders.schemas import DuplicateCandidate, OrderCreate
from core.orders.text import search_document
from iam.actors import Role
from infra.db import TENANT_SCHEMA_KEY
from infra.unit_of_work import current
from tenants.codes import is_descendant


@dataclass
class Registered:
    order: Order
    event: OrderEvent
    related: list[Order]
    duplicates: list[DuplicateCandidate]


async def register(ctx: Context, data: OrderCreate) -> Registered:
    """受理: validate, number, time-limit and record a new order; suggest likely duplicates. In the caller's
    step (``order_step``): the order is written, as every order is, through ``core.orders.rows``."""
    if not ctx.actor.has(Role.operator, Role.dispatcher):
        raise RoleNeeded(("dispatcher", "operator"), "register")
    if ctx.actor.tenant != ctx.tenant.code:
        raise NotYourTenant(ctx.actor.tenant, ctx.tenant.code)
    category = ctx.categories.get(data.category)
    if category is None:
        raise field_error("category", f"there is no category {data.category}")
    if not category.active:
        raise field_error("category", f"category {data.category} is no longer in use")
    if not category.leaf:
        raise field_error("category", f"{data.category} is a major category: choose one of its minor categories")
    if data.division_code and not (data.division_code == ctx.tenant.code
                                   or is_descendant(data.division_code, ctx.tenant.code)):
        raise field_error("division_code", f"{data.division_code} is not in the area of tenant {ctx.tenant.code}")
    citizen = data.citizen
    if citizen.callback and not citizen.phone:
        raise field_error("citizen.phone", "a phone number is needed when the citizen wants a call back")
    if not citizen.anonymous and not citizen.name:
        raise field_error("citizen.name", "a name is needed unless the citizen is anonymous")
    related = await orders_by_number(ctx, data.related) if data.related else []
    if data.received_at is not None:  # 补录
        await check_backfill(ctx, data.received_at)
    received = data.received_at or ctx.now

    policy = policy_for(ctx, data.type, data.urgency, data.category)
    handle_deadline, estimated = policy.handle.deadline(ctx.rules.calendar, received)
    division = data.division_code or ctx.tenant.code
    reads = await intake_reads(
        await current(ctx.session).connection(), ctx.session.sync_session.info[TENANT_SCHEMA_KEY],
        since=ctx.now - timedelta(days=ctx.duplicate_window_days), phone=citizen.phone, division=division,
        category=data.category, title=data.title)
    order_id, repeats = reads.order_id, reads.repeats
    number = record_number(ctx.tenant.code, ctx.now, order_id)
    order = transient(Order, dict(
        id=order_id, number=number, root_number=number, query_code=new_query_code(ctx.tenant.code),
        channel=data.channel, type=data.type, category=data.category, title=data.title, content=data.content,
        address=data.address, division_code=division,
        longitude=data.longitude, latitude=data.latitude,
        citizen_name=citizen.name, citizen_phone=citizen.phone, citizen_id_number=citizen.id_number,
        anonymous=citizen.anonymous, callback=citizen.callback, urgency=data.urgency,
        status=Status.registered, handle_deadline=handle_deadline, deadline_estimated=estimated,
        repeat_count=repeats, urge_count=0, reopen_count=0, merged_count=0,
        created_at=ctx.now, updated_at=ctx.now,
    ))
    rows.add_order(ctx.session, order, search_document(data.title, data.content, data.address))
    event = append_event(ctx.session, order, action=Action.register, from_status=None, actor=ctx.actor,
                         now=ctx.now, payload={"channel": data.channel.value, "category": data.category,
                                               "repeat": repeats > 0,
                                               **({"received_at": data.received_at.isoformat()}
                                                  if data.received_at is not None else {})})
    await emit_fact(ctx.session, ctx.tenant.code, ctx.tenant.path, order, event)
    duplicates = scored(order, reads.candidates)
    # After the last read: the ORM flushes these after the step's statement has inserted the order they point at.
    for item in data.attachments:
        ctx.session.add(Attachment(order_id=order_id, uploaded_by=ctx.actor.user, **item.model_dump()))
    for other in related:
        ctx.session.add(OrderLink(order_id=order_id, linked_order_id=other.id, kind="related"))
    return Registered(order, event, related, duplicates)


async def orders_by_number(ctx: Context, numbers: list[str]) -> list[Order]:
    found = (await ctx.session.scalars(select(Order).where(Order.number.in_(numbers)))).all()
    missing = sorted(set(numbers) - {o.number for o in found})
    if missing:
        raise field_error("related", f"there is no order {', '.join(missing)}")
    return list(found)
