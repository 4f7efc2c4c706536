"""An order's state by name: the catch-all ``extra`` column replaced by columns owned by what writes them.

Revision ID: t0005
Revises: t0004
Create Date: 2026-12-03

``extra`` held seven kinds of state written by three packages, under short keys that the deadline timer's
SQL read. Each now has its own column, moved out of ``extra`` here:

- ``auto_urged_at`` / ``auto_escalated_at`` (the timer, ``core.orders.overdue``): when the timer urged (督办) /
  escalated (上报) the order by policy, once each; the time of the order's last such event, or its last change.
- ``origin_path`` / ``origin_role`` (``core.orders.crosslevel``): the path of the level that dispatched the
  record here and what it was given here as there (lead 主办 / co 协办).
- ``received_seq`` (``core.orders.crosslevel``): the seq of the last message applied from each other level.
- ``assessment_state`` (``core.orders.facts``): what the assessment has counted of the record, under the
  counters' own names (``overdue``, ``closed_on_time``, ...) instead of ``od``, ``otu``, ...
- The merged citizens (``citizens``) are not copied any more: each was the citizen of an order merged (合并)
  into this one, which still holds it (``merged_into_id``, now indexed to list them). ``merged_count`` says
  how many were merged in (what the same-issue hot spot counts).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None

# The assessment's fold state: its old short keys and the names it has now. Flags were 1 (0: lost again);
# now true, and a flag never set is absent, as before.
FLAGS = {"rcv": "received", "dsp": "dispatched", "sg": "signed", "sgn": "contact_due", "ct": "contacted",
         "fin": "closed", "ot": "closed_on_time", "od": "overdue", "ro": "reopened", "ug": "urged"}
VALUES = {"u": "holding_unit", "otu": "closed_on_time_unit", "ratu": "rated_unit", "rating": "rating"}
ASSESS = "(extra->'assess')"


def _renamed(source: str, flags: dict[str, str], values: dict[str, str], flag_value: str, set_value: str) -> str:
    """A JSON object of ``source``'s keys renamed; a flag set (``set_value``) becomes ``flag_value``."""
    parts = [f"'{new}', CASE WHEN {source}->>'{old}' = '{set_value}' THEN {flag_value} END"
             for old, new in flags.items()]
    parts += [f"'{new}', {source}->'{old}'" for old, new in values.items()]
    return f"jsonb_strip_nulls(jsonb_build_object({', '.join(parts)}))"


def _reversed(names: dict[str, str]) -> dict[str, str]:
    return {new: old for old, new in names.items()}


def upgrade() -> None:
    op.add_column("orders", sa.Column("auto_urged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("auto_escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("origin_path", sa.String(40), nullable=True))
    op.add_column("orders", sa.Column("origin_role", sa.String(10), nullable=True))
    op.add_column("orders", sa.Column("received_seq", JSONB, nullable=True))
    op.add_column("orders", sa.Column("assessment_state", JSONB, nullable=True))
    op.add_column("orders", sa.Column("merged_count", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE orders o SET "
        "auto_urged_at = CASE WHEN coalesce((extra->>'auto_urged')::boolean, false) THEN coalesce((SELECT "
        "max(e.occurred_at) FROM order_events e WHERE e.order_id = o.id AND e.action = 'urge'), updated_at) END, "
        "auto_escalated_at = CASE WHEN coalesce((extra->>'auto_escalated')::boolean, false) THEN coalesce((SELECT "
        "max(e.occurred_at) FROM order_events e WHERE e.order_id = o.id AND e.action = 'escalate' "
        "AND e.payload->>'automatic' = 'true'), updated_at) END, "
        "origin_path = extra->>'origin_path', origin_role = extra->>'role', received_seq = extra->'seq_from', "
        "merged_count = coalesce(jsonb_array_length(extra->'citizens'), 0), "
        f"assessment_state = CASE WHEN extra ? 'assess' THEN {_renamed(ASSESS, FLAGS, VALUES, 'true', '1')} END "
        "WHERE extra <> '{}'::jsonb")
    op.drop_column("orders", "extra")
    op.execute("CREATE INDEX ix_orders_merged_into ON orders (merged_into_id) WHERE merged_into_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_orders_merged_into", "orders")
    op.add_column("orders", sa.Column("extra", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    op.execute(
        "UPDATE orders o SET extra = jsonb_strip_nulls(jsonb_build_object("
        "'auto_urged', CASE WHEN auto_urged_at IS NOT NULL THEN true END, "
        "'auto_escalated', CASE WHEN auto_escalated_at IS NOT NULL THEN true END, "
        "'origin_path', origin_path, 'role', origin_role, 'seq_from', received_seq)) "
        f"|| CASE WHEN assessment_state IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('assess', "
        f"{_renamed('assessment_state', _reversed(FLAGS), _reversed(VALUES), '1', 'true')}) END "
        "|| coalesce((SELECT jsonb_build_object('citizens', jsonb_agg(jsonb_build_object('number', m.number, "
        "'name', m.citizen_name, 'phone', m.citizen_phone, 'callback', m.callback) ORDER BY m.id)) "
        "FROM orders m WHERE m.merged_into_id = o.id HAVING count(*) > 0), '{}'::jsonb)")
    for column in ("merged_count", "assessment_state", "received_seq", "origin_role", "origin_path",
                   "auto_escalated_at", "auto_urged_at"):
        op.drop_column("orders", column)
