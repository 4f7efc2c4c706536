"""Resident population by division (常住人口), loaded from a table an operator holds the right to use.

The hot-spot map's requests per 10,000 residents need it, and no package of the registries carries the seventh
census's (第七次全国人口普查) county table under a licence that allows it: the platform ships no figure and
estimates none. ``hotline assessment population FILE.csv`` loads ``code,population,year,source`` rows (a
header line first); a division without a row simply has no per-capita figure.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

COLUMNS = ("code", "population", "year", "source")


class PopulationFileError(ValueError):
    """The file is not a population table this command can load; the message names the line."""


@dataclass(frozen=True)
class Population:
    code: str
    population: int
    year: int
    source: str


def read_table(path: Path) -> list[Population]:
    """The rows of a population CSV (UTF-8, with or without a BOM), every one checked before any is loaded."""
    rows: list[Population] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or any(c not in reader.fieldnames for c in COLUMNS):
            raise PopulationFileError(f"{path}: the first line must name the columns {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            code, source = (row["code"] or "").strip(), (row["source"] or "").strip()
            try:
                population, year = int(row["population"]), int(row["year"])
            except (TypeError, ValueError):
                raise PopulationFileError(f"{path}:{line}: population and year must be whole numbers") from None
            if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
                raise PopulationFileError(f"{path}:{line}: {code!r} is not a GB/T 2260 division code")
            if population <= 0 or not 1949 <= year <= 2200 or not 1 <= len(source) <= 200:
                raise PopulationFileError(f"{path}:{line}: a population above 0, a year and a source are required")
            rows.append(Population(code, population, year, source))
    return rows


def load(engine: Engine, rows: list[Population]) -> int:
    """Insert or replace the rows in one transaction; returns how many."""
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(
                "INSERT INTO public.area_population (code, population, year, source) VALUES (:c, :p, :y, :s) "
                "ON CONFLICT (code) DO UPDATE SET population = EXCLUDED.population, year = EXCLUDED.year, "
                "source = EXCLUDED.source, loaded_at = now()"),
                {"c": row.code, "p": row.population, "y": row.year, "s": row.source})
    return len(rows)
