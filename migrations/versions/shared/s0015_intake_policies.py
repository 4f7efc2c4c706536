"""Intake policies (受理策略): who may backfill (补录) a request taken on another channel, and how far back.

Revision ID: s0015
Revises: s0014
Create Date: 2026-12-03

One row per province (the province's admin sets it); without one, operators may backfill up to 72 hours.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0015"
down_revision = "s0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_policies",
        sa.Column("tenant_code", sa.String(9), sa.ForeignKey("public.tenants.code"), primary_key=True),
        sa.Column("backfill_roles", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("backfill_hours", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("backfill_hours BETWEEN 0 AND 8760", name="ck_intake_policies_backfill_hours"),
        sa.CheckConstraint("length(tenant_code) = 2", name="ck_intake_policies_province"),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("intake_policies", schema="public")
