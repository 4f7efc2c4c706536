"""Overdue policies (超期处置策略): when the timer urges and when it escalates, per province or subtree.

Revision ID: s0007
Revises: s0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overdue_policies",
        sa.Column("tenant_code", sa.String(9), sa.ForeignKey("public.tenants.code"), primary_key=True),
        sa.Column("urge_after_hours", sa.Float, nullable=True),  # NULL: never urged automatically
        sa.Column("escalate_after_hours", sa.Float, nullable=True),  # NULL: never escalated automatically
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("overdue_policies", schema="public")
