"""A tenant's own tables: handling units, work orders, their events, assignments, links, attachments.

Revision ID: t0001
Revises:
Create Date: 2026-11-23

Written without a schema: the runner sets ``search_path`` to the tenant's schema for the
transaction. Enumerations are text with CHECK, never PostgreSQL ENUM types: a per-schema
type would be multiplied by ~2,800 tenants.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

revision = "t0001"
down_revision = None
branch_labels = ("tenant",)
depends_on = None

NOW = sa.text("now()")


def upgrade() -> None:
    # 承办单位: departments, centres and other units of this tenant.
    op.create_table(
        "units",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("kind IN ('centre','department','office','enterprise','other')", name="ck_units_kind"),
    )

    # 工单
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("query_code", sa.String(24), nullable=False, unique=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("division_code", sa.String(12), nullable=True),
        sa.Column("longitude", sa.Numeric(9, 6), nullable=True),
        sa.Column("latitude", sa.Numeric(9, 6), nullable=True),
        sa.Column("citizen_name", sa.String(100), nullable=True),
        sa.Column("citizen_phone", sa.String(20), nullable=True),
        sa.Column("citizen_id_number", sa.String(18), nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("callback", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("urgency", sa.String(12), nullable=False, server_default="normal"),
        sa.Column("status", sa.String(20), nullable=False),
        # How a closed order ended: resolved, answered (直办), redirected (转办), not_accepted (不予受理), merged.
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("redirect_to", sa.String(40), nullable=True),
        sa.Column("satisfaction", sa.String(20), nullable=True),
        sa.Column("urge_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("repeat_count", sa.Integer, nullable=False, server_default="0"),
        # A pending extension request (延期申请): {"days": n, "reason": ...}; null when none.
        sa.Column("pending_extension", JSONB, nullable=True),
        # The clock stops while an order waits after a send-back (退单): what was left of it.
        sa.Column("paused_remaining_s", sa.BigInteger, nullable=True),
        sa.Column("deadline_estimated", sa.Boolean, nullable=False, server_default=sa.false()),
        # Character bigrams of title, content and address: keyword search in Chinese without extensions.
        sa.Column("search", TSVECTOR, nullable=True),
        sa.Column("lead_unit_id", sa.BigInteger, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("assigned_tenant", sa.String(9), nullable=True),
        sa.Column("origin_tenant", sa.String(9), nullable=True),
        sa.Column("origin_number", sa.String(40), nullable=True),
        sa.Column("sign_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handle_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("merged_into_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=True),
        sa.Column("extra", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("urgency IN ('normal','urgent','very_urgent')", name="ck_orders_urgency"),
    )
    op.create_index("ix_orders_created", "orders", [sa.text("created_at DESC"), sa.text("id DESC")])
    op.create_index("ix_orders_status_deadline", "orders", ["status", "handle_deadline"])
    op.create_index("ix_orders_citizen_phone", "orders", ["citizen_phone"])
    op.create_index("ix_orders_lead_unit", "orders", ["lead_unit_id", "status"])
    op.create_index("ix_orders_search", "orders", ["search"], postgresql_using="gin")
    op.create_index("ix_orders_division_created", "orders", ["division_code", "created_at"])

    # 工单事件: the immutable, hash-chained log that is the truth of every order.
    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_unit_id", sa.BigInteger, nullable=True),
        sa.Column("actor_tenant", sa.String(9), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("payload", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("prev_hash", sa.LargeBinary, nullable=True),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("order_id", "seq", name="uq_order_events_order_seq"),
    )

    # 派单: which unit or child tenant handles an order, as lead (主办) or co-handler (协办).
    op.create_table(
        "order_assignments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("unit_id", sa.BigInteger, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("tenant_code", sa.String(9), nullable=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("sign_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text, nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('lead','co')", name="ck_order_assignments_role"),
        sa.CheckConstraint("(unit_id IS NULL) <> (tenant_code IS NULL)", name="ck_order_assignments_target"),
    )
    op.create_index("ix_order_assignments_order", "order_assignments", ["order_id"])
    op.create_index("ix_order_assignments_unit_status", "order_assignments", ["unit_id", "status"])

    # 关联工单: duplicates, related and merged orders.
    op.create_table(
        "order_links",
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("linked_order_id", sa.BigInteger, sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("kind IN ('duplicate','related','merged')", name="ck_order_links_kind"),
    )

    # 附件: metadata only; the bytes live in object storage.
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_index("ix_attachments_order", "attachments", ["order_id"])


def downgrade() -> None:
    for table in ("attachments", "order_links", "order_assignments", "order_events", "orders", "units"):
        op.drop_table(table)
