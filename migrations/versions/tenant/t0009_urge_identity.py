"""Urges (督办) one by one, with their signs (督办签收); the co-handler's (协办) part of a request marked.

Revision ID: t0009
Revises: t0007
Create Date: 2026-12-08

- ``orders.urges``: the urges that reached the record, one entry per urge (its identity from where it was raised,
  who urged, why, its 督办时限, and the holder's sign), ``core.orders.urges``. ``urge_count`` stays the count.
- ``orders.co_part``: the record works a co-handler's part of the request (it, or a level above it on the way, was
  given the order as co-handler); the 督办 desk lists the lead's part only.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "t0009"
down_revision = "t0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("urges", JSONB, nullable=True))
    op.add_column("orders", sa.Column("co_part", sa.Boolean, nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "co_part")
    op.drop_column("orders", "urges")
