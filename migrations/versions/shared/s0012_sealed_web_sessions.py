"""Web sessions keep their tokens sealed: the sessions of before, with tokens in clear, are ended.

Revision ID: s0012
Revises: s0011
Create Date: 2026-12-02

The access, refresh and id tokens of ``web_sessions`` are now AES-GCM encrypted with a key derived from
the cookie's secret, which only the browser holds (``sso.session_keys``). A row of before cannot be
sealed without that secret, and its clear tokens are what a database reader could use: the rows are
deleted, and whoever was signed in to the console signs in again.
"""

from alembic import op

revision = "s0012"
down_revision = "s0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM public.web_sessions")


def downgrade() -> None:
    # Sealed tokens mean nothing to the code of before: those sessions end too.
    op.execute("DELETE FROM public.web_sessions")
