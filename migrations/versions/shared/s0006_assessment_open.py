"""Open records per subtree × deadline hour, for a live overview that stays flat with volume.

Revision ID: s0006
Revises: s0005
Create Date: 2026-11-23

``assess_open_node`` counts the open order records of each subtree (same rule as the roll-up) by
the hour their handling limit falls in, so "red" and "yellow" are sums over a few hundred rows; the
open records whose limit falls in the current hour are counted exactly from ``assess_records``
through the index on their deadline.
"""

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assess_open_node",
        sa.Column("node", sa.String(9), primary_key=True),
        sa.Column("deadline_hour", sa.DateTime(timezone=True), primary_key=True),  # 9999-12-31: no limit
        sa.Column("open", sa.Integer, nullable=False, server_default="0"),
        sa.Column("urged", sa.Integer, nullable=False, server_default="0"),
        schema="public",
    )
    op.create_index("ix_assess_records_open_deadline", "assess_records", ["deadline"], schema="public",
                    postgresql_where=sa.text("is_open"))
    op.execute(OPEN_NODE_SQL)


# Recomputes the table from the records (also what the rebuild runs).
OPEN_NODE_SQL = """
INSERT INTO public.assess_open_node (node, deadline_hour, open, urged)
SELECT substr(r.tenant_code, 1, l),
       coalesce(date_trunc('hour', r.deadline AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '9999-12-31 00:00+00'),
       count(*), count(*) FILTER (WHERE r.urged)
FROM public.assess_records r, unnest(ARRAY[2, 4, 6, 9]) AS l
WHERE r.is_open AND l <= length(r.tenant_code) AND (r.origin_len = 0 OR l > r.origin_len)
GROUP BY 1, 2
"""


def downgrade() -> None:
    op.drop_index("ix_assess_records_open_deadline", "assess_records", schema="public")
    op.drop_table("assess_open_node", schema="public")
