"""Expected counts straight from the reference CSVs, so tests compare against the data, not a constant."""

from __future__ import annotations

import csv
from pathlib import Path


def subtree_codes(divisions_dir: Path, city: str) -> set[str]:
    codes = {city[:2], city}
    for file in ("areas.csv", "streets.csv"):
        with open(divisions_dir / file, encoding="utf-8") as f:
            codes |= {row["code"] for row in csv.DictReader(f) if row["code"].startswith(city)}
    return codes
