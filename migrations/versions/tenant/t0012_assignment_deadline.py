"""A unit's open work in deadline order from an index: each live assignment keeps its order's handle deadline.

Revision ID: t0012
Revises: t0011
Create Date: 2026-12-07

A unit's 待签收 / 待办理 page showed its 50 most urgent orders by reading every one of its open orders (10,000 for
a busy department: each a random read of a wide row) to sort them by deadline. With the order's deadline copied
onto its live assignments (``core/orders/rows.py`` keeps the copy: every step writes the order and its
assignments together), the partial index below hands a unit's live assignments over in deadline order, and a
page reads the 51 it shows. It replaces t0007's ``ix_assignments_unit_live`` (unit, order), whose uses (the
counts, "is it the unit's") it serves as well.
"""

from alembic import op

revision = "t0012"
down_revision = "t0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE order_assignments ADD COLUMN handle_deadline timestamptz")
    op.execute("UPDATE order_assignments a SET handle_deadline = o.handle_deadline FROM orders o "
               "WHERE o.id = a.order_id AND a.ended_at IS NULL AND o.handle_deadline IS NOT NULL")
    op.execute("CREATE INDEX ix_assignments_unit_live_deadline ON order_assignments "
               "(unit_id, handle_deadline, order_id) WHERE ended_at IS NULL")
    op.drop_index("ix_assignments_unit_live", "order_assignments")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_assignments_unit_live ON order_assignments (unit_id, order_id) "
               "WHERE ended_at IS NULL")
    op.drop_index("ix_assignments_unit_live_deadline", "order_assignments")
    op.execute("ALTER TABLE order_assignments DROP COLUMN handle_deadline")
