"""Token revocations: a disabled person's tokens are refused before they expire.

Revision ID: s0013
Revises: s0012
Create Date: 2026-12-02

``token_revocations``: per Keycloak subject, the instant before which its access tokens are no longer accepted
(``not_before``); every API process reads the recent rows about once a second (sso/revocations.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_revocations",
        sa.Column("subject", sa.String(100), primary_key=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(100), nullable=False),
        schema="public",
    )
    op.create_index("ix_token_revocations_not_before", "token_revocations", ["not_before"], schema="public")


def downgrade() -> None:
    op.drop_table("token_revocations", schema="public")
