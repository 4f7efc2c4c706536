"""The 督办 desk's index: every order record's holder, deadline and urges, fed by the assessment facts.

Revision ID: s0021
Revises: s0020
Create Date: 2026-12-08

``desk_records`` holds one row per order record (an order as one tenant holds it), kept by the same facts as the
assessment's read model (each fact carries the record's state after its event, ``core.orders.facts.desk_state``;
the consumer writes the newest, ``core.orders.desk_index``): so a province supervisor's desk finds the red, overdue
and disputed orders of 2,786 tenant schemas with one indexed query, never a walk over the schemas.

- ``holds``: the record holds the order itself (a unit, the centre or the reviewers of its level; not a child
  level): each open request has exactly one such record on its lead's part (``co_part`` false).
- ``seq``: the event the row's state is of; an older fact arriving late changes nothing.
"""

from alembic import op

revision = "s0021"
down_revision = "s0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE public.desk_records (
          tenant_code text NOT NULL,
          order_id bigint NOT NULL,
          seq integer NOT NULL,
          number text NOT NULL,
          root_number text NOT NULL,
          origin_len smallint NOT NULL,
          status text NOT NULL,
          is_open boolean NOT NULL,
          holds boolean NOT NULL,
          co_part boolean NOT NULL,
          holder_unit bigint,
          deadline timestamptz,
          category text,
          division text,
          urge_count integer NOT NULL DEFAULT 0,
          urges_waiting integer NOT NULL DEFAULT 0,
          urge_due timestamptz,
          last_urged_at timestamptz,
          reopen_count integer NOT NULL DEFAULT 0,
          unsatisfied boolean NOT NULL DEFAULT false,
          overdue_at timestamptz,
          CONSTRAINT pk_desk_records PRIMARY KEY (tenant_code, order_id),
          CONSTRAINT ck_desk_records_tenant CHECK (tenant_code ~ '^[0-9]{2,9}$')
        )""")
    # The desk's rows: the open records holding their order on the lead's part, by the holder's subtree and
    # deadline (most late first); the same, for the matters of the desk besides the clock (sent back, reworked,
    # an urge not signed in time, run over this month), so that what is not red is found without a scan.
    op.execute("CREATE INDEX ix_desk_records_held ON public.desk_records (tenant_code text_pattern_ops, deadline) "
               "WHERE is_open AND holds AND NOT co_part")
    op.execute("CREATE INDEX ix_desk_records_held_deadline ON public.desk_records (deadline) "
               "WHERE is_open AND holds AND NOT co_part")
    op.execute("CREATE INDEX ix_desk_records_matters ON public.desk_records (tenant_code text_pattern_ops) "
               "WHERE is_open AND holds AND NOT co_part AND (overdue_at IS NOT NULL OR urges_waiting > 0 "
               "OR reopen_count > 0 OR unsatisfied OR status IN ('returned', 'escalated'))")
    # A request's records at every level (the desk acts on the topmost one in the person's subtree).
    op.execute("CREATE INDEX ix_desk_records_root ON public.desk_records (root_number)")


def downgrade() -> None:
    op.execute("DROP TABLE public.desk_records")
