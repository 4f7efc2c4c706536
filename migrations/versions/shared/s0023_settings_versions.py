"""Settings every process sees at once, and where a year's holiday schedule came from.

Revision ID: s0023
Revises: s0021
Create Date: 2026-12-07

- ``settings_versions``: one counter per cached kind of setting (``sla``: time limits, the rework limit and the
  calendar; ``categories``: the taxonomy), raised in the same transaction as the change. Every API and worker
  process caches these settings and looks at the counter about once a second, so an order registered anywhere
  after an admin's change takes the new limit (before: up to 30 s later in another process).
- ``calendar_years.source``: ``entered`` (a province admin typed the State Council's schedule) or ``imported``
  (copied from the chinese-calendar package); ``entered_by``: who did it.
"""

from alembic import op

revision = "s0023"
down_revision = "s0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE public.settings_versions (
          name text NOT NULL,
          version bigint NOT NULL DEFAULT 0,
          changed_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_settings_versions PRIMARY KEY (name),
          CONSTRAINT ck_settings_versions_name CHECK (name ~ '^[a-z_]{1,40}$')
        )""")
    op.execute("INSERT INTO public.settings_versions (name) VALUES ('sla'), ('categories')")
    op.execute("ALTER TABLE public.calendar_years ADD COLUMN source text NOT NULL DEFAULT 'entered', "
               "ADD COLUMN entered_by text, "
               "ADD CONSTRAINT ck_calendar_years_source CHECK (source IN ('entered', 'imported'))")


def downgrade() -> None:
    op.execute("ALTER TABLE public.calendar_years DROP CONSTRAINT ck_calendar_years_source, "
               "DROP COLUMN entered_by, DROP COLUMN source")
    op.execute("DROP TABLE public.settings_versions")
