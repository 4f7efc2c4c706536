"""Rate limits shared by every API process: one counter per key and fixed window.

Revision ID: s0014
Revises: s0013
Create Date: 2026-12-02

``rate_limits`` is UNLOGGED: counters are written on every public lookup and are worth nothing after a crash
(PostgreSQL empties an unlogged table then, and a replica does not have it): the limits start afresh, which is
what a restart of in-process counters did. Rows past ``expires_at`` are deleted by the API (infra/ratelimit.py).
"""

from alembic import op

revision = "s0014"
down_revision = "s0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE UNLOGGED TABLE public.rate_limits (
          key text NOT NULL,
          window_start timestamptz NOT NULL,
          hits integer NOT NULL,
          last_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          CONSTRAINT pk_rate_limits PRIMARY KEY (key, window_start)
        )""")
    op.execute("CREATE INDEX ix_rate_limits_expires_at ON public.rate_limits (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE public.rate_limits")
