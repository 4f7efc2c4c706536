"""Assessment (考核) read model, statistics and hot-spot alerts.

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-23

Fed by assessment facts over NATS, never by scanning tenant schemas:

- ``assess_records``: one row per order record (an order as one tenant holds it): which facts
  have been applied (the consumer's idempotence), and its live state for the overview.
- ``assess_unit_day``: counters per tenant × unit (department) × cohort day.
- ``assess_node_day``: the same counters rolled up per subtree (node) × cohort day.
- ``stats_day`` / ``stats_hour``: intake counts by dimension, for statistics and hot spots.
- ``hotspot_alerts``: one row per alert episode; at most one open per (kind, key).
- ``assessment_settings``: definitions and weights, per assessing tenant (the province's for all).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None

COUNTERS = ("received", "intake", "repeated", "answered", "dispatched", "assigned", "sign_due", "signed_in_time",
            "contact_due", "contacted", "closed", "closed_on_time", "overdue", "returned", "escalated",
            "reopened", "urged", "rated", "satisfied", "basically_satisfied", "unsatisfied", "resolved",
            "declined", "merged")


def _counters() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in COUNTERS]


def upgrade() -> None:
    op.create_table(
        "assess_records",
        sa.Column("tenant_code", sa.String(9), primary_key=True),
        sa.Column("order_id", sa.BigInteger, primary_key=True),
        sa.Column("origin_len", sa.SmallInteger, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("applied", ARRAY(sa.Integer), nullable=False),
        sa.Column("live_seq", sa.Integer, nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("urged", sa.Boolean, nullable=False),
        schema="public",
    )
    # The overview reads open records only.
    op.create_index("ix_assess_records_open", "assess_records", ["tenant_code", "deadline"], schema="public",
                    postgresql_where=sa.text("is_open"))
    op.create_table(
        "assess_unit_day",
        sa.Column("tenant_code", sa.String(9), primary_key=True),
        sa.Column("unit_id", sa.BigInteger, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        *_counters(),
        schema="public",
    )
    op.create_table(
        "assess_node_day",
        sa.Column("node", sa.String(9), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        *_counters(),
        schema="public",
    )
    op.create_index("ix_assess_node_day_day", "assess_node_day", ["day", "node"], schema="public")
    op.create_table(
        "stats_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("division", sa.String(12), primary_key=True),
        sa.Column("category", sa.String(40), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("type", sa.String(20), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        schema="public",
    )
    op.create_table(
        "stats_hour",
        sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("area", sa.String(12), primary_key=True),
        sa.Column("category", sa.String(40), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        schema="public",
    )
    op.create_table(
        "hotspot_alerts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),  # spike | same_issue
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("tenant_code", sa.String(9), nullable=False),  # the responsible level
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("area", sa.String(12), nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("baseline", sa.Float, nullable=False),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        schema="public",
    )
    op.create_index("ux_hotspot_alerts_open", "hotspot_alerts", ["kind", "key"], unique=True, schema="public",
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_hotspot_alerts_tenant", "hotspot_alerts", ["tenant_code", "opened_at"], schema="public")
    op.create_table(
        "assessment_settings",
        sa.Column("tenant_code", sa.String(9), sa.ForeignKey("public.tenants.code"), primary_key=True),
        sa.Column("settings", JSONB, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )


def downgrade() -> None:
    for table in ("assessment_settings", "hotspot_alerts", "stats_hour", "stats_day", "assess_node_day",
                  "assess_unit_day", "assess_records"):
        op.drop_table(table, schema="public")
