"""The tenant registry.

Revision ID: s0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = ("shared",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("code", sa.String(9), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("parent_code", sa.String(9), sa.ForeignKey("public.tenants.code"), nullable=True),
        sa.Column("path", sa.String(40), nullable=False, unique=True),
        sa.Column("depth", sa.SmallInteger, nullable=False),
        sa.Column("schema_name", sa.String(12), nullable=False, unique=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="provisioning"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("level IN ('province','city','district','town')", name="ck_tenants_level"),
        sa.CheckConstraint("status IN ('provisioning','active','disabled')", name="ck_tenants_status"),
        sa.CheckConstraint("code ~ '^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3})?)?)?$'", name="ck_tenants_code"),
        schema="public",
    )
    op.create_index("ix_tenants_parent_code", "tenants", ["parent_code"], schema="public")
    op.create_index("ix_tenants_path_prefix", "tenants", ["path"], schema="public",
                    postgresql_ops={"path": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_table("tenants", schema="public")
