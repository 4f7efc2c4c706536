"""The unit holding each open order record, for a unit's live numbers on the overview (总览).

Revision ID: s0018
Revises: s0017
Create Date: 2026-12-07

``assess_records.unit_id`` is the unit (科室/部门) of the record's tenant that leads the record now (the order's
``lead_unit_id``), None while the tenant's centre holds it. The overview counts a unit's open, yellow and red
orders from the open records of its tenant (the index on open records by tenant), never from a tenant schema.

The facts carry it from now on (``live.unit``); a record gets it with its next event, and ``hotline assessment
rebuild`` fills every record at once (the column is not back-filled here: that would read every tenant schema in
one transaction).
"""

import sqlalchemy as sa
from alembic import op

revision = "s0018"
down_revision = "s0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assess_records", sa.Column("unit_id", sa.BigInteger, nullable=True), schema="public")


def downgrade() -> None:
    op.drop_column("assess_records", "unit_id", schema="public")
