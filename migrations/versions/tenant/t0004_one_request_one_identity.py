"""One request, one identity: every level's record carries the originator's number and query code.

Revision ID: t0004
Revises: t0003
Create Date: 2026-12-02

- ``root_number``: the number the originating level (the one that took the call) gave the request; the
  root record carries its own. Searching by it finds a level's record of the request (``ix_orders_root``).
  Records made before this revision take their origin's number (right for records one level below the
  originator, which is as deep as cross-level work went through before) or their own.
- ``accepted_at``: when this level's centre signed (签收) a record the level above dispatched here; None
  until then and again once the level above dispatches it here anew. It tells the level above's
  "waiting for the sign" from "in hand" whatever the record's own state below.
- The query code: a child level's record carries the originator's code (the citizen has one code per
  request), so the code is unique among the records registered here (``origin_tenant IS NULL``) only.
"""

import sqlalchemy as sa
from alembic import op

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("root_number", sa.String(40), nullable=True))
    op.add_column("orders", sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE orders SET root_number = coalesce(origin_number, number)")
    op.execute("UPDATE orders SET accepted_at = updated_at WHERE origin_tenant IS NOT NULL AND status <> 'dispatched'")
    op.create_index("ix_orders_root", "orders", ["root_number"])
    op.drop_constraint("orders_query_code_key", "orders", type_="unique")
    op.execute("CREATE UNIQUE INDEX uq_orders_query_code ON orders (query_code) WHERE origin_tenant IS NULL")


def downgrade() -> None:
    op.drop_index("uq_orders_query_code", "orders")
    op.create_unique_constraint("orders_query_code_key", "orders", ["query_code"])
    op.drop_index("ix_orders_root", "orders")
    op.drop_column("orders", "accepted_at")
    op.drop_column("orders", "root_number")
