"""Work orders (工单) and their immutable event log, in the tenant's schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    Numeric,
    Sequence,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, configure_mappers, mapped_column

from infra.db import TENANT_SCHEMA, SharedBase, TenantBase

# The identity sequence behind orders.id; schema-translated like the tables.
ORDER_ID_SEQ = Sequence("orders_id_seq", schema=TENANT_SCHEMA)


class Order(TenantBase):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # The citizen's code of the request: a child level's record carries the originator's (unique among the
    # records registered here: uq_orders_query_code).
    query_code: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    division_code: Mapped[str | None] = mapped_column(String(12))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    citizen_name: Mapped[str | None] = mapped_column(String(100))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    citizen_id_number: Mapped[str | None] = mapped_column(String(18))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    callback: Mapped[bool] = mapped_column(Boolean, default=True)
    urgency: Mapped[str] = mapped_column(String(12), default="normal")
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    redirect_to: Mapped[str | None] = mapped_column(String(40))
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    # The urges (督办) that reached this record, one entry each, with their signs (``core.orders.urges``).
    urges: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_extension: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    paused_remaining_s: Mapped[int | None] = mapped_column(BigInteger)
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    search: Mapped[Any] = mapped_column(TSVECTOR, deferred=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assigned_tenant: Mapped[str | None] = mapped_column(String(9))
    origin_tenant: Mapped[str | None] = mapped_column(String(9))
    origin_number: Mapped[str | None] = mapped_column(String(40))
    # The originator's number of the request (the root record's own): one identity at every level.
    root_number: Mapped[str | None] = mapped_column(String(40))
    # When this level's centre signed (签收) a record dispatched here from above (None: not yet).
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sign_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handle_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many orders were merged (合并) into this one: as many citizens besides its own wait for its answer.
    merged_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Merged (合并) into that order: this record's citizen is one of the kept order's citizens.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    # When the deadline timer urged (超期自动督办) / escalated (超期自动上报) it by policy: each happens once.
    auto_urged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    auto_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A record dispatched here from above: the tenant path of that level (where this level's steps go up) and
    # what it was given here as there, "lead" (主办) or "co" (协办). Kept by ``core.orders.crosslevel``.
    origin_path: Mapped[str | None] = mapped_column(String(40))
    origin_role: Mapped[str | None] = mapped_column(String(10))
    # This record works a co-handler's (协办) part: it, or a level above it on its way here, was given the order
    # as co-handler (None: not, or received before this was kept). The 督办 desk lists the lead's part only.
    co_part: Mapped[bool | None] = mapped_column(Boolean)
    # The seq of the last message applied from each other level (tenant code → seq): an older one arriving late
    # is told from a newer one by it (``core.orders.crosslevel.links.in_order``).
    received_seq: Mapped[dict[str, int] | None] = mapped_column(JSONB)
    # What the assessment has counted of this record so far (``core.orders.facts.RecordState``); written
    # and read only there.
    assessment_state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The tip of the event chain (seq and hash of the last event): read under the row lock to append the next.
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    event_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderEvent(TenantBase):
    """One lifecycle step. Never updated or deleted; ``hash`` chains it to the order's previous event."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    # The person's name (the token's given_name) when the step was taken; None on events older than t0011 and on
    # steps another level's message made here (the sending level's name is read from the registry instead).
    actor_name: Mapped[str | None] = mapped_column(String(100))
    actor_unit_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_tenant: Mapped[str] = mapped_column(String(9))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class Assignment(TenantBase):
    """An order given to a unit or a child tenant, as lead (主办) or co-handler (协办)."""

    __tablename__ = "order_assignments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    tenant_code: Mapped[str | None] = mapped_column(String(9))
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sign_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The order's handle deadline while the assignment is live (kept by core.orders.rows), so a unit's inbox
    # reads its open work in deadline order from an index (t0012); an ended assignment keeps its last copy.
    handle_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderLink(TenantBase):
    __tablename__ = "order_links"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    linked_order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Attachment(TenantBase):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # ``blob:<sha256>``: the bytes are kept by the platform, in ``AttachmentBlob`` (else a key of another store).
    storage_key: Mapped[str] = mapped_column(String(500))
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    # The level below whose reply brought the file here (None: sent at this level).
    from_tenant: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


ATTACHMENT_ID_SEQ = Sequence("attachments_id_seq", schema=TENANT_SCHEMA)


class AttachmentBlob(SharedBase):
    """An attachment's bytes, once for every level and order that names them (by SHA-256)."""

    __tablename__ = "attachment_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_Model = TypeVar("_Model", bound=TenantBase)


def transient(model: type[_Model], values: dict[str, Any]) -> _Model:
    """An instance holding these column values, filled in as the ORM's own loader fills one: without an
    attribute event per column, which through the constructor cost ~20× as much (~45 µs an order). For
    the rows ``core.orders.rows`` writes itself (orders, assignments, events); never added to a session."""
    mapper = model.__mapper__
    if not mapper.configured:  # needed before the first instance made this way (configure_mappers is not free)
        configure_mappers()
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj
