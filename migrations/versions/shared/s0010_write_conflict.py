"""write_conflict(): how a transaction's closing statement refuses to write over a change it did not read.

Revision ID: s0010
Revises: s0009
Create Date: 2026-11-24

A step that read its order without locking it (an optimistic step, ``order_step(session, optimistic=True)``)
writes the order only if its row is still the version it read. When one is not, the closing statement
(``infra.unit_of_work``) calls this function, which fails the whole statement with SQLSTATE 40001
(serialization_failure): nothing of it is written, and the caller does the step again with the row locked.
"""

from alembic import op

revision = "s0010"
down_revision = "s0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION public.write_conflict(what text) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
          RAISE EXCEPTION 'write conflict: %', what USING ERRCODE = 'serialization_failure';
        END $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION public.write_conflict(text)")
