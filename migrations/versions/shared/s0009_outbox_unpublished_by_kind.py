"""The relay's index: unpublished outbox rows, federation messages before assessment facts, each in order.

Revision ID: s0009
Revises: s0008
Create Date: 2026-11-24

The relay takes federation messages in every pass and facts only every so often (``FACTS_GATHER_S``).
With the unpublished rows indexed by id alone, every pass read all the facts waiting (hundreds under
load) to pass them over, and sorted what was left. Keyed on ``(kind = 'fact', id)``, a pass without
facts reads the messages' part of the index only, and any pass reads the rows in the order it sends
them, stopping at its batch: no sort.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_outbox_unpublished", "outbox", schema="public")
    op.create_index("ix_outbox_unpublished", "outbox", [sa.text("(kind = 'fact')"), "id"], schema="public",
                    postgresql_where=sa.text("published_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_outbox_unpublished", "outbox", schema="public")
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], schema="public",
                    postgresql_where=sa.text("published_at IS NULL"))
