"""A unit's inbox by index: its live assignments (待签收 / 待办理), and the orders it led by state and time (已办结).

Revision ID: t0007
Revises: t0006
Create Date: 2026-12-03

Without it a unit's inbox walks the tenant's orders by deadline and checks each for one of the unit's
assignments: with a million orders in a city, hundreds of milliseconds. Partial (live assignments only), so it
stays as small as the open work, whatever the archive holds. The orders' (lead unit, status) index gains the
creation time, so the unit's orders closed in the last 30 days are a range, not its whole archive.
"""

from alembic import op

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_assignments_unit_live ON order_assignments (unit_id, order_id) "
               "WHERE ended_at IS NULL")
    op.create_index("ix_orders_lead_unit_created", "orders", ["lead_unit_id", "status", "created_at"])
    op.drop_index("ix_orders_lead_unit", "orders")


def downgrade() -> None:
    op.create_index("ix_orders_lead_unit", "orders", ["lead_unit_id", "status"])
    op.drop_index("ix_orders_lead_unit_created", "orders")
    op.drop_index("ix_assignments_unit_live", "order_assignments")
