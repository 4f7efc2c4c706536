"""Federation retention: BRIN indexes by age on the outbox and the inbox, so pruning finds old rows cheaply.

Revision ID: s0008
Revises: s0007
Create Date: 2026-11-24

BRIN, not B-tree: rows arrive in time order, a BRIN index is a few pages for millions of rows and
costs next to nothing per insert (the relay and the consumers write these tables on every message).
"""

from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"], schema="public", postgresql_using="brin")
    op.create_index("ix_inbox_applied_at", "inbox", ["applied_at"], schema="public", postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_inbox_applied_at", "inbox", schema="public")
    op.drop_index("ix_outbox_created_at", "outbox", schema="public")
