"""The history of administration (变更记录): who changed which setting of which tenant, when, from what to what.

Revision ID: s0017
Revises: s0016
Create Date: 2026-12-07

Every change an admin makes through the API — a person's roles, a unit, a category, a routing rule, a time
limit, the calendar, a policy, the assessment's weights — is one row here, written in the same transaction as
the change itself (``infra/change_log.py``), so a change without its record cannot commit. One shared table,
not one per tenant: an auditor reads a subtree's history with one indexed query.
"""

from alembic import op

revision = "s0017"
down_revision = "s0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE public.config_changes (
          id bigint GENERATED ALWAYS AS IDENTITY,
          tenant_code text NOT NULL,
          subject text NOT NULL,
          subject_key text NOT NULL,
          action text NOT NULL,
          actor text NOT NULL,
          actor_name text,
          at timestamptz NOT NULL DEFAULT now(),
          old jsonb,
          new jsonb,
          CONSTRAINT pk_config_changes PRIMARY KEY (id),
          CONSTRAINT ck_config_changes_subject CHECK (subject ~ '^[a-z_]{1,40}$'),
          CONSTRAINT ck_config_changes_action CHECK (action ~ '^[a-z_]{1,40}$'),
          CONSTRAINT ck_config_changes_tenant CHECK (tenant_code ~ '^[0-9]{2,12}$')
        )""")
    # A tenant's history of one kind of setting (or one setting), newest first; a subtree by the code's prefix.
    op.execute("CREATE INDEX ix_config_changes_tenant ON public.config_changes "
               "(tenant_code text_pattern_ops, subject, subject_key, id DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE public.config_changes")
