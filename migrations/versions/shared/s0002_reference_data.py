"""Reference data: the category taxonomy, time-limit policies, the working-day calendar.

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-23

Rows with a NULL owner are the province's own; a tenant's rows (its code as owner) extend or
override them for that tenant and its subtree.
"""

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None

TAXONOMY = Path(__file__).resolve().parents[3] / "core" / "categories" / "taxonomy.csv"

# Type × urgency → (sign value, unit, handle value, unit). A real provincial rule: 咨询 2,
# 求助/建议 10, 投诉/举报 15 working days; sign within 1 working day; urgent orders in hours.
TYPES = {"consultation": 2, "help": 10, "suggestion": 10, "complaint": 15, "report": 15, "praise": 5}
URGENT = {"urgent": (2, "hours", 24, "hours"), "very_urgent": (1, "hours", 4, "hours")}


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_code", sa.String(12), nullable=True),
        sa.Column("owner_tenant", sa.String(9), sa.ForeignKey("public.tenants.code"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("default_unit", sa.String(40), nullable=True),
        sa.Column("handle_limit_days", sa.SmallInteger, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )
    op.create_index("uq_categories_province_code", "categories", ["code"], unique=True, schema="public",
                    postgresql_where=sa.text("owner_tenant IS NULL"))
    op.create_index("uq_categories_owner_code", "categories", ["owner_tenant", "code"], unique=True,
                    schema="public", postgresql_where=sa.text("owner_tenant IS NOT NULL"))

    policies = op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("owner_tenant", sa.String(9), sa.ForeignKey("public.tenants.code"), nullable=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("urgency", sa.String(12), nullable=False),
        sa.Column("sign_value", sa.SmallInteger, nullable=False),
        sa.Column("sign_unit", sa.String(12), nullable=False),
        sa.Column("handle_value", sa.SmallInteger, nullable=False),
        sa.Column("handle_unit", sa.String(12), nullable=False),
        sa.CheckConstraint("sign_unit IN ('hours','working_days') AND handle_unit IN ('hours','working_days')",
                           name="ck_sla_policies_units"),
        sa.CheckConstraint("sign_value > 0 AND handle_value > 0", name="ck_sla_policies_positive"),
        schema="public",
    )
    op.create_index("uq_sla_policies_key", "sla_policies",
                    [sa.text("coalesce(owner_tenant, '')"), "type", "urgency"], unique=True, schema="public")

    # 节假日安排: the State Council's schedule entered by a province admin, for years the calendar
    # package does not know yet (or to correct it). One row per day that is not an ordinary one.
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("workday", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(50), nullable=True),
        schema="public",
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.SmallInteger, primary_key=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema="public",
    )

    with open(TAXONOMY, encoding="utf-8") as f:
        rows = [
            {"code": r["code"], "name": r["name"], "parent_code": r["parent_code"] or None,
             "default_unit": r["default_unit"] or None,
             "handle_limit_days": int(r["handle_limit_days"]) if r["handle_limit_days"] else None}
            for r in csv.DictReader(f)
        ]
    op.bulk_insert(categories, rows)

    seed = []
    for type_, days in TYPES.items():
        seed.append({"type": type_, "urgency": "normal", "sign_value": 1, "sign_unit": "working_days",
                     "handle_value": days, "handle_unit": "working_days"})
        for urgency, (sv, su, hv, hu) in URGENT.items():
            seed.append({"type": type_, "urgency": urgency, "sign_value": sv, "sign_unit": su,
                         "handle_value": hv, "handle_unit": hu})
    op.bulk_insert(policies, seed)


def downgrade() -> None:
    for table in ("calendar_years", "calendar_days", "sla_policies", "categories"):
        op.drop_table(table, schema="public")
