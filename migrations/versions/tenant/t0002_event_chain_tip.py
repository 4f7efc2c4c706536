"""The tip of each order's event chain on the order row: its last event's seq and hash.

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-24

Appending an event needs the previous one's seq and hash. The order row is locked by every
writer anyway, so keeping the tip there saves reading the event log back on every action
(one round trip on the hot path of dispatch). Existing orders take the tip from their log.
"""

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("event_seq", sa.Integer, nullable=False, server_default="0"))
    op.add_column("orders", sa.Column("event_hash", sa.LargeBinary, nullable=True))
    op.execute(
        "UPDATE orders o SET event_seq = e.seq, event_hash = e.hash FROM "
        "(SELECT DISTINCT ON (order_id) order_id, seq, hash FROM order_events ORDER BY order_id, seq DESC) e "
        "WHERE e.order_id = o.id")


def downgrade() -> None:
    op.drop_column("orders", "event_hash")
    op.drop_column("orders", "event_seq")
