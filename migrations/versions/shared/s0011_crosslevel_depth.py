"""Cross-level work at any depth: the rework time limit, and a counter of rejected replies.

Revision ID: s0011
Revises: s0010
Create Date: 2026-12-02

- ``rework_limits`` (重办时限): how long a level has to handle an order again after the citizen was not
  satisfied or a supervisor reopened it, per province or subtree (the nearest one up the tree applies).
- ``rejected`` (审核不通过) in the assessment's day tables: a reviewer's rejection of a reply, counted apart
  from a rework (重办), which starts a time limit of its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0011"
down_revision = "s0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rework_limits",
        sa.Column("tenant_code", sa.String(9), sa.ForeignKey("public.tenants.code"), primary_key=True),
        sa.Column("working_days", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("working_days BETWEEN 1 AND 60", name="ck_rework_limits_days"),
        schema="public",
    )
    for table in ("assess_unit_day", "assess_node_day"):
        op.add_column(table, sa.Column("rejected", sa.Integer, nullable=False, server_default="0"), schema="public")


def downgrade() -> None:
    for table in ("assess_unit_day", "assess_node_day"):
        op.drop_column(table, "rejected", schema="public")
    op.drop_table("rework_limits", schema="public")
