"""Who took each step by name (经办人姓名): the person's name beside the username on every new event.

Revision ID: t0011
Revises: t0009
Create Date: 2026-12-08

``order_events.actor_name``: the name people call the actor by (the token's ``given_name``), recorded when the
step is taken, since the identity provider is not asked again when the history is read. Old events keep it
empty and show the username. Part of the event's hash only when set, so every chain written before this
column existed still verifies. A nullable column without a default: no table rewrite, instant on any size.
"""

import sqlalchemy as sa
from alembic import op

revision = "t0011"
down_revision = "t0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("order_events", sa.Column("actor_name", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("order_events", "actor_name")
