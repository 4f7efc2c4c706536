"""Resident population by division (常住人口), for the hot-spot map's requests per 10,000 people.

Revision ID: s0020
Revises: s0018
Create Date: 2026-12-07

No package of the registries carries the seventh census's (第七次全国人口普查) county table under a licence that
allows it, so the platform ships no population: an operator loads a table they hold the right to use with
``hotline assessment population FILE.csv`` (README, "Hot spots"). A division without a row has no per-capita
figure; nothing is estimated.
"""

from alembic import op

revision = "s0020"
down_revision = "s0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE public.area_population (
          code text NOT NULL,
          population bigint NOT NULL,
          year smallint NOT NULL,
          source text NOT NULL,
          loaded_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_area_population PRIMARY KEY (code),
          CONSTRAINT ck_area_population_code CHECK (code ~ '^[0-9]{2,12}$'),
          CONSTRAINT ck_area_population_population CHECK (population > 0),
          CONSTRAINT ck_area_population_year CHECK (year BETWEEN 1949 AND 2200),
          CONSTRAINT ck_area_population_source CHECK (length(source) BETWEEN 1 AND 200)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE public.area_population")
