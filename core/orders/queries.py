"""Reading orders: the filtered list with keyset (cursor) pages, exports of the same query, the detail."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import attachments, masking, names, urges, visibility
from core.orders.citizen import mask_id_number, mask_name, mask_phone
from core.orders.errors import InvalidCursor, OrderNotFound
from core.orders.lifecycle import OPEN
from core.orders.models import Assignment, Order, OrderEvent, OrderLink
from core.orders.rules import allowed_actions
from core.orders.schemas import (
    AssignmentOut,
    CrossLevelEvent,
    EventOut,
    MergedCitizen,
    OrderDetail,
    OrderLinkOut,
    OrderOut,
    UrgeOut,
)
from core.orders.text import search_query
from core.sla.calendar import WorkCalendar
from core.sla.policy import Light, light
from iam.actors import Actor
from infra.edge import INT64_MAX, moment_in_range
from infra.times import province_time
from tenants.codes import validate_code

# Orders without a deadline sort last: as if due at the end of time.
FAR = datetime(9999, 12, 31, tzinfo=UTC)
SORTS = {
    "-created_at": (Order.created_at, True),
    "created_at": (Order.created_at, False),
    "handle_deadline": (func.coalesce(Order.handle_deadline, literal(FAR, Order.handle_deadline.type)), False),
}
OPEN_VALUES = [s.value for s in OPEN]


@dataclass
class OrderFilter:
    status: list[str] | None = None
    type: list[str] | None = None
    category: str | None = None  # a code: a major matches all its minors
    channel: list[str] | None = None
    unit: int | None = None
    light: Light | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    deadline_from: datetime | None = None
    deadline_to: datetime | None = None
    phone: str | None = None
    q: str | None = None
    # Any level's number of a request (the originator's, this level's, one above or below): this level's records
    # of that request. ``numbers`` holds the number and the request's originator's number (``resolve_number``).
    number: str | None = None
    numbers: list[str] | None = None


NUMBER = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{3})?)?)?-\d{8}-\d{6,}$")


def looks_like_number(text_: str) -> bool:
    """Whether a search text is an order number (4101-20261202-000042) rather than words."""
    return bool(NUMBER.match(text_.strip()))


async def resolve_number(session: AsyncSession, number: str) -> list[str]:
    """The number and the originator's number of the request it names: a record's number names the request
    at every level. The record is looked up in its own tenant's schema (the number's first part, checked in
    the registry), only to learn the request's originator's number: nothing of it is returned."""
    number = number.strip()
    found = [number]
    code = number.split("-", 1)[0]
    known = await session.scalar(text("SELECT schema_name FROM public.tenants WHERE code = :c"), {"c": code})
    if known is not None:
        root = await session.scalar(text(f'SELECT root_number FROM "{known}".orders WHERE number = :n'),
                                    {"n": number})
        if root and root != number:
            found.append(root)
    return found


def order_light(calendar: WorkCalendar, now: datetime, order: Order) -> str:
    if order.status in OPEN:
        return light(calendar, now, order.handle_deadline).value
    late = order.handle_deadline is not None and order.closed_at is not None and order.closed_at > order.handle_deadline
    return Light.red.value if late else Light.green.value


def order_not_found(number: str, tenant_code: str) -> OrderNotFound:
    """The answer for an order that is not there, or that the person may not see: the same, so that
    neither a read nor an action tells one from the other."""
    return OrderNotFound(number, tenant_code)


def filtered(f: OrderFilter, calendar: WorkCalendar, now: datetime, unit_scope: int | None = None,
             ) -> Select[tuple[Order]]:
    """The list query for these filters (no order, no page)."""
    query = visibility.visible(select(Order), unit_scope)
    if f.status:
        query = query.where(Order.status.in_(f.status))
    if f.type:
        query = query.where(Order.type.in_(f.type))
    if f.category:
        query = query.where(Order.category.startswith(f.category, autoescape=True))
    if f.channel:
        query = query.where(Order.channel.in_(f.channel))
    if f.unit is not None:
        query = query.where(Order.lead_unit_id == f.unit)
    if f.overdue is not None:
        overdue = and_(Order.status.in_(OPEN_VALUES), Order.handle_deadline < now)
        query = query.where(overdue if f.overdue else ~overdue)
    if f.light is not None:
        # Yellow: one working day or less left — the deadline falls before this moment.
        yellow_until, _ = calendar.add_working_days(now, 1)
        is_open = Order.status.in_(OPEN_VALUES)
        query = query.where(is_open, {
            Light.red: Order.handle_deadline < now,
            Light.yellow: and_(Order.handle_deadline >= now, Order.handle_deadline <= yellow_until),
            Light.green: or_(Order.handle_deadline.is_(None), Order.handle_deadline > yellow_until),
        }[f.light])
    if f.created_from:
        query = query.where(Order.created_at >= f.created_from)
    if f.created_to:
        query = query.where(Order.created_at < f.created_to)
    if f.deadline_from:
        query = query.where(Order.handle_deadline >= f.deadline_from)
    if f.deadline_to:
        query = query.where(Order.handle_deadline < f.deadline_to)
    if f.phone:
        query = query.where(Order.citizen_phone == f.phone)
    if f.numbers:
        query = query.where(or_(Order.number.in_(f.numbers), Order.root_number.in_(f.numbers),
                                Order.origin_number.in_(f.numbers)))
    if f.q and not looks_like_number(f.q):
        terms = search_query(f.q)
        text_match = or_(*(column.icontains(f.q, autoescape=True)
                           for column in (Order.title, Order.content, Order.address)))
        if terms:
            query = query.where(Order.search.op("@@")(func.to_tsquery("simple", terms)))
        query = query.where(text_match)
    return query


def encode_cursor(sort: str, order: Order) -> str:
    column = "handle_deadline" if sort == "handle_deadline" else "created_at"
    value = getattr(order, column)
    raw = json.dumps([sort, value.isoformat() if value else None, order.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, last_id = json.loads(raw)
        if cursor_sort != sort:
            raise ValueError("sort changed")
        moment = datetime.fromisoformat(value) if value else FAR
        last_id = int(last_id)
        # Only a forged cursor is out of these ranges; the database would fail on it (a 500).
        if (value and moment.tzinfo is None) or not 0 < last_id <= INT64_MAX:
            raise ValueError("out of range")
        if value:
            moment_in_range(moment)
        return moment, last_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidCursor() from None


def paged(query: Select[tuple[Order]], sort: str, cursor: str | None, limit: int) -> Select[tuple[Order]]:
    key, descending = SORTS[sort]
    if cursor:
        value, last_id = decode_cursor(cursor, sort)
        after = tuple_(key, Order.id) < tuple_(value, last_id) if descending else \
            tuple_(key, Order.id) > tuple_(value, last_id)
        query = query.where(after)
    ordering = (key.desc(), Order.id.desc()) if descending else (key.asc(), Order.id.asc())
    return query.order_by(*ordering).limit(limit + 1)


def summary(order: Order, calendar: WorkCalendar, now: datetime, reveal: bool = True) -> OrderOut:
    """The order as a list shows it; its citizen masked unless ``reveal`` (``core.orders.masking``)."""
    return OrderOut(
        number=order.number, root_number=order.root_number or order.number, origin_tenant=order.origin_tenant,
        origin_number=order.origin_number, origin_role=order.origin_role, query_code=order.query_code,
        status=order.status, outcome=order.outcome,
        channel=order.channel, type=order.type, category=order.category, title=order.title, urgency=order.urgency,
        address=order.address, division_code=order.division_code,
        citizen_name=order.citizen_name if reveal else mask_name(order.citizen_name),
        citizen_phone=order.citizen_phone if reveal else mask_phone(order.citizen_phone),
        lead_unit_id=order.lead_unit_id, assigned_tenant=order.assigned_tenant,
        sign_deadline=order.sign_deadline, handle_deadline=order.handle_deadline,
        deadline_estimated=order.deadline_estimated, light=order_light(calendar, now, order),
        reopen_count=order.reopen_count, urge_count=order.urge_count, urges_waiting=len(urges.pending(order)),
        repeat_count=order.repeat_count,
        satisfaction=order.satisfaction, created_at=order.created_at, closed_at=order.closed_at,
        accepted_at=order.accepted_at,
    )


async def detail(session: AsyncSession, order: Order, calendar: WorkCalendar, now: datetime, actor: Actor,
                 tenant_code: str) -> OrderDetail:
    """The order with its assignments, links, whole timeline, and what ``actor`` may do with it now."""
    events = (await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.seq))).all()
    assignments = (await session.scalars(
        select(Assignment).where(Assignment.order_id == order.id).order_by(Assignment.id))).all()
    linked = (await session.execute(
        select(OrderLink.kind, Order.number).join(Order, Order.id == OrderLink.linked_order_id)
        .where(OrderLink.order_id == order.id))).all()
    merged_into = None
    if order.merged_into_id is not None:
        merged_into = await session.scalar(select(Order.number).where(Order.id == order.merged_into_id))
    merged: list[MergedCitizen] = []
    if order.merged_count:
        merged = [MergedCitizen(number=n, name=name, phone=phone, callback=callback)
                  for n, name, phone, callback in (await session.execute(
                      select(Order.number, Order.citizen_name, Order.citizen_phone, Order.callback)
                      .where(Order.merged_into_id == order.id).order_by(Order.id))).all()]
    allowed = allowed_actions(actor, tenant_code, order, assignments, now)
    result = assemble(order, calendar, now, list(events), list(assignments), list(linked), merged_into, allowed,
                      merged, reveal=masking.reveals(actor, tenant_code, order))
    result.attachments = [attachments.out(a, tenant_code, order.number)
                          for a in await attachments.of_order(session, order.id)]
    children = sorted({a.tenant_code for a in assignments if a.tenant_code})
    below: list[dict[str, Any]] = []
    if children:
        below = await records_below(session, order.number.split("-", 1)[0], order.number, children)
        here = order.number.split("-", 1)[0]
        result.cross_level_timeline = sorted(
            [CrossLevelEvent.model_validate({"tenant": here, "number": order.number, **_event_columns(e)})
             for e in events] + [CrossLevelEvent.model_validate(row) for row in below],
            key=lambda e: (e.occurred_at, e.tenant, e.seq))
    refs = names.References()
    own = [_event_dict(e) for e in events]
    names.of_record(refs, tenant_code, order, assignments, own)
    for entry in below:
        refs.event(entry["tenant"], entry)
    for file in result.attachments:
        refs.tenant(file.from_tenant)
    found = await names.resolve(session, refs)
    found.remember([*own, *below])
    return named(result, found, tenant_code)


def named(result: OrderDetail, found: names.Names, tenant_code: str) -> OrderDetail:
    """The detail with the names of its levels, units and people filled in (``core.orders.names``)."""
    result.tenant_name = found.tenant(tenant_code)
    result.origin_tenant_name = found.tenant(result.origin_tenant)
    result.assigned_tenant_name = found.tenant(result.assigned_tenant)
    result.lead_unit_name = found.unit(tenant_code, result.lead_unit_id)
    for assignment in result.assignments:
        assignment.unit_name = found.unit(tenant_code, assignment.unit_id)
        assignment.tenant_name = found.tenant(assignment.tenant_code)
    for event in result.timeline:
        event.actor_name = found.actor(event.actor, event.actor_name)
        event.actor_tenant_name = found.tenant(event.actor_tenant)
        event.actor_unit_name = found.unit(event.actor_tenant, event.actor_unit_id)
    for entry in result.cross_level_timeline:
        entry.tenant_name = found.tenant(entry.tenant)
        entry.actor_name = found.actor(entry.actor, entry.actor_name)
        entry.actor_tenant_name = found.tenant(entry.actor_tenant)
        entry.actor_unit_name = found.unit(entry.actor_tenant, entry.actor_unit_id)
    for file in result.attachments:  # who sent it: a person who acted on the order, or the level below it came from
        file.uploaded_by_name = found.person(file.uploaded_by)
        file.from_tenant_name = found.tenant(file.from_tenant)
    result.tenant_names = dict(sorted(found.tenants.items()))
    result.unit_names = found.unit_map()
    return result


def _event_dict(event: OrderEvent) -> dict[str, Any]:
    """An event as its JSON would say it: what the names of its units and levels are read from."""
    return EventOut.model_validate(event).model_dump()


def _event_columns(event: OrderEvent) -> dict[str, Any]:
    """The event's own columns under EventOut's names; the names read later (``named``) are not columns."""
    return {name: getattr(event, name, None) for name in EventOut.model_fields}


_CHILD_EVENTS = (
    "SELECT o.number, e.seq, e.action, e.from_status, e.to_status, e.actor, e.actor_name, e.actor_unit_id, "
    "e.actor_tenant, e.reason, e.payload, e.occurred_at FROM \"{schema}\".orders o JOIN \"{schema}\".order_events e "
    "ON e.order_id = o.id WHERE o.origin_tenant = :origin AND o.origin_number = :number ORDER BY e.seq")
_CHILD_HOLDERS = (
    "SELECT DISTINCT a.tenant_code FROM \"{schema}\".orders o JOIN \"{schema}\".order_assignments a "
    "ON a.order_id = o.id WHERE o.number = :number AND a.tenant_code IS NOT NULL")


async def records_below(session: AsyncSession, tenant: str, number: str, children: list[str],
                        depth: int = 3) -> list[dict[str, Any]]:
    """The events of the records the levels below keep of this order (全流程): each child's record of it,
    and theirs of their own dispatches further down. The levels share one database, so this is a read
    of their schemas, not a message."""
    found: list[dict[str, Any]] = []
    for child in children:
        schema = f"t_{validate_code(child)}"
        rows = (await session.execute(text(_CHILD_EVENTS.format(schema=schema)),
                                      {"origin": tenant, "number": number})).mappings().all()
        if not rows:
            continue
        child_number = rows[0]["number"]
        found += [{"tenant": child, **{k: v for k, v in row.items()}} for row in rows]
        if depth > 1:
            grandchildren = [c for (c,) in (await session.execute(
                text(_CHILD_HOLDERS.format(schema=schema)), {"number": child_number})).all()]
            found += await records_below(session, child, child_number, grandchildren, depth - 1)
    return found


def assemble(order: Order, calendar: WorkCalendar, now: datetime, events: list[OrderEvent],
             assignments: list[Assignment], linked: list[tuple[str, str]], merged_into: str | None,
             allowed: list[str], merged_citizens: Sequence[MergedCitizen] = (), *, reveal: bool) -> OrderDetail:
    """The detail from parts already at hand (intake knows them without asking the database); its citizens
    masked unless ``reveal``."""
    base = summary(order, calendar, now, reveal).model_dump()
    if not reveal:
        merged_citizens = [c.model_copy(update={"name": mask_name(c.name), "phone": mask_phone(c.phone)})
                           for c in merged_citizens]
    return OrderDetail(
        **base, content=order.content, anonymous=order.anonymous,
        citizen_id_number=order.citizen_id_number if reveal else mask_id_number(order.citizen_id_number),
        callback=order.callback, longitude=order.longitude, latitude=order.latitude,
        redirect_to=order.redirect_to, pending_extension=order.pending_extension, merged_into=merged_into,
        merged_citizens=list(merged_citizens), allowed_actions=allowed,
        assignments=[AssignmentOut.model_validate(a) for a in assignments],
        urges=urges_out(order, now),
        links=[OrderLinkOut(kind=kind, number=number) for kind, number in linked],
        timeline=[EventOut.model_validate(e) for e in events],
    )


def urges_out(order: Order, now: datetime) -> list[UrgeOut]:
    """The record's urges as a person reads them: each once, with where it stands (``core.orders.urges``)."""
    tenant = order.number.split("-", 1)[0]
    return [UrgeOut(id=e["id"], raised_on=e["raised_on"], relayed=e["raised_on"] != tenant, by_tenant=e["by_tenant"],
                    by=e.get("by") or "", reason=e.get("reason"), due=_at(e.get("due")), at=_at(e["at"]),
                    state=urges.state(e, now), signed_at=_at(e.get("signed_at")), signed_by=e.get("signed_by"),
                    signed_tenant=e.get("signed_tenant"), signed_unit=e.get("signed_unit"), note=e.get("note"))
            for e in urges.entries(order)]


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


EXPORT_COLUMNS = ["number", "status", "outcome", "type", "category", "channel", "urgency", "title", "address",
                  "division_code", "citizen_name", "citizen_phone", "lead_unit_id", "created_at", "handle_deadline",
                  "light", "reopen_count", "urge_count", "satisfaction", "closed_at"]


def export_row(order: Order, calendar: WorkCalendar, now: datetime) -> list[Any]:
    """One exported line; the phone is masked (exports leave the system)."""
    values = summary(order, calendar, now).model_dump()
    values["citizen_phone"] = mask_phone(order.citizen_phone)
    return [province_time(values[c]) if isinstance(values[c], datetime) else values[c] for c in EXPORT_COLUMNS]
