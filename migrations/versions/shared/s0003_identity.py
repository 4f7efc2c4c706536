"""Identity and permission: Casbin policies, the Keycloak groups we manage, web sessions.

Revision ID: s0003
Revises: s0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # pycasbin's usual table shape, so any Casbin adapter can read it.
    op.create_table(
        "casbin_rule",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("ptype", sa.String(8), nullable=False),
        sa.Column("v0", sa.String(60)), sa.Column("v1", sa.String(60)), sa.Column("v2", sa.String(60)),
        sa.Column("v3", sa.String(60)), sa.Column("v4", sa.String(60)), sa.Column("v5", sa.String(60)),
        schema="public",
    )
    # Bumped whenever the policies change; every process compares it to reload.
    op.create_table(
        "iam_version",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_iam_version_single"),
        schema="public",
    )
    op.execute("INSERT INTO public.iam_version (id, version) VALUES (1, 0)")
    # Keycloak groups created by `hotline sso sync`: what a no-change run compares against.
    op.create_table(
        "sso_groups",
        sa.Column("key", sa.String(80), primary_key=True),  # "41/4101" or "41/4101#unit-12"
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("parent_key", sa.String(80), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        schema="public",
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's secret
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=True),
        sa.Column("id_token", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="public",
    )


def downgrade() -> None:
    for table in ("web_sessions", "sso_groups", "iam_version", "casbin_rule"):
        op.drop_table(table, schema="public")
