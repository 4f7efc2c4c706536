"""Attachments kept by the platform (附件), and routing rules (派单目录).

Revision ID: t0006
Revises: t0005
Create Date: 2026-12-03

``attachments`` gains who sent the file (``uploaded_by``) and, for a file that came up from a level below with
its reply, that level (``from_tenant``). A file kept by the platform has ``storage_key`` ``blob:<sha256>``: its
bytes are the row of ``public.attachment_blobs`` with that SHA-256 (shared migration s0016).

``routing_rules``: this level's 派单目录, category (code prefix) × division (code prefix, '' for any) → a unit
of this level or a child level, with co-handling units. One rule per category and division prefix.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "t0006"
down_revision = "t0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attachments", sa.Column("uploaded_by", sa.String(100), nullable=True))
    op.add_column("attachments", sa.Column("from_tenant", sa.String(9), nullable=True))
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False, server_default=""),
        sa.Column("to_unit_id", sa.BigInteger, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("to_tenant", sa.String(9), nullable=True),
        sa.Column("co_handlers", ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("(to_unit_id IS NULL) <> (to_tenant IS NULL)", name="ck_routing_rules_one_target"),
        sa.UniqueConstraint("category", "division_code", name="uq_routing_rules_category_division"),
    )


def downgrade() -> None:
    op.drop_table("routing_rules")
    op.drop_column("attachments", "from_tenant")
    op.drop_column("attachments", "uploaded_by")
