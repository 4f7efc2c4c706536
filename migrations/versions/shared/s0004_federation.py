"""Federation: the transactional outbox, the idempotent inbox, dead letters.

Revision ID: s0004
Revises: s0003
Create Date: 2026-11-23

Single tables keyed by tenant code (a tenant's outbox is its rows): the relay polls one table,
not 2,786, and a tenant's write and its outgoing message still commit in one transaction.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", sa.Uuid, nullable=False, unique=True),  # the event id: JetStream de-duplicates on it
        sa.Column("tenant_code", sa.String(9), nullable=False),  # the sender
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        schema="public",
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], schema="public",
                    postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        sa.Column("tenant_code", sa.String(9), primary_key=True),  # the receiver
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )
    op.create_table(
        "dead_letters",
        sa.Column("message_id", sa.Uuid, primary_key=True),
        sa.Column("tenant_code", sa.String(9), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )


def downgrade() -> None:
    for table in ("dead_letters", "inbox", "outbox"):
        op.drop_table(table, schema="public")
