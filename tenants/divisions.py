"""Reading the GB/T 2260 reference data (shared/data/divisions) into tenant rows."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tenants.codes import level_of, parent_of, validate_code


class DivisionsNotFound(FileNotFoundError):
    """The reference data directory is missing."""


@dataclass(frozen=True)
class Division:
    code: str
    name: str

    @property
    def level(self) -> str:
        return level_of(self.code).value

    @property
    def parent_code(self) -> str | None:
        return parent_of(self.code)


_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")


def read_province(
    divisions_dir: Path, province: str, *, town_cities: Iterable[str] | None = None,
    cities: Iterable[str] | None = None,
) -> list[Division]:
    """A province's divisions, parents before children.

    ``cities`` limits the import to those cities' subtrees (plus the province);
    ``town_cities`` limits the towns to those cities (districts of every selected city stay).
    """
    validate_code(province)
    if len(province) != 2:
        raise ValueError(f"{province!r} is not a province code (2 digits)")
    if not (divisions_dir / "provinces.csv").exists():
        raise DivisionsNotFound(
            f"no division data at {divisions_dir}: set HOTLINE_DIVISIONS_DIR to shared/data/divisions"
        )
    city_filter = set(cities) if cities is not None else None
    town_filter = set(town_cities) if town_cities is not None else None
    result: list[Division] = []
    for file in _FILES:
        for row in _rows(divisions_dir / file):
            code = row["code"]
            if not code.startswith(province):
                continue
            if city_filter is not None and len(code) > 2 and code[:4] not in city_filter:
                continue
            if town_filter is not None and len(code) == 9 and code[:4] not in town_filter:
                continue
            result.append(Division(validate_code(code), row["name"].strip()))
    if not result:
        raise ValueError(f"province {province} is not in the division data at {divisions_dir}")
    return result


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)
