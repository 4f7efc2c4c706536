"""A unit's live assignments, found by the unit: the inbox (待签收 / 待办理) of a unit's staff starts from them.

Revision ID: t0007
Revises: t0006
Create Date: 2026-12-03

Without it a unit's inbox walks the tenant's orders by deadline and checks each for one of the unit's
assignments: with a million orders in a city, hundreds of milliseconds. Partial (live assignments only), so it
stays as small as the open work, whatever the archive holds.
"""

from alembic import op

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_assignments_unit_live ON order_assignments (unit_id, order_id) "
               "WHERE ended_at IS NULL")


def downgrade() -> None:
    op.drop_index("ix_assignments_unit_live", "order_assignments")
