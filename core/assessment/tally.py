"""Summing facts into the read model's rows: counters per unit × day and per subtree node × day.

A record's changes count in its own tenant and in every ancestor subtree below the level it came
from: a district's record of an order the city dispatched counts for the district (and its
towns' subtrees, were it theirs) but not again for the city, whose own record of the same
request already counts there. A record taken at intake (origin_len 0) counts all the way up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from core.sla.calendar import CST
from tenants.codes import lineage

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)  # the hour bucket of a record without a limit


@lru_cache(maxsize=65536)
def nodes_for(tenant: str, origin_len: int) -> tuple[str, ...]:
    """The subtrees whose totals include this record's changes."""
    return tuple(code for code in lineage(tenant) if origin_len == 0 or len(code) > origin_len)


def area_of(division: str) -> str:
    """The area hot spots are watched in: the district (区县), or the division itself if coarser."""
    return division[:6]


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


class Tally:
    """Counter deltas gathered from facts, ready to be added to (or written as) the tables."""

    def __init__(self) -> None:
        self.units: dict[tuple[str, int, date], Counter[str]] = defaultdict(Counter)
        self.nodes: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
        self.stats_day: Counter[tuple[date, str, str, str, str]] = Counter()
        self.stats_hour: Counter[tuple[datetime, str, str]] = Counter()
        self.open_nodes: dict[tuple[str, datetime], Counter[str]] = defaultdict(Counter)

    def add(self, tenant: str, origin_len: int, day: date, changes: list[Any]) -> None:
        if not changes:
            return
        for unit, counter, delta in changes:
            if unit is not None:
                self.units[(tenant, int(unit), day)][counter] += delta
        for node in nodes_for(tenant, origin_len):
            row = self.nodes[(node, day)]
            for _, counter, delta in changes:
                row[counter] += delta

    def add_open(self, tenant: str, origin_len: int, deadline: datetime | None, open_: int, urged: int) -> None:
        """An open record entering (+1) or leaving (-1) its deadline hour in every subtree it counts in."""
        bucket = hour_of(deadline.astimezone(UTC)) if deadline else NO_DEADLINE
        for node in nodes_for(tenant, origin_len):
            row = self.open_nodes[(node, bucket)]
            row["open"] += open_
            row["urged"] += urged

    def merge(self, other: Tally) -> None:
        """Add another tally's deltas to this one (rebuild workers each fold a part)."""
        for key, counts in other.units.items():
            self.units[key].update(counts)
        for key, counts in other.nodes.items():
            self.nodes[key].update(counts)
        self.stats_day.update(other.stats_day)
        self.stats_hour.update(other.stats_hour)

    def add_intake(self, stats: dict[str, Any]) -> None:
        at = datetime.fromisoformat(stats["at"])
        local_day = at.astimezone(CST).date()
        division = stats["division"] or ""
        self.stats_day[(local_day, division, stats["category"], stats["channel"], stats["type"])] += 1
        self.stats_hour[(hour_of(at), area_of(division), stats["category"])] += 1

    def add_fact(self, fact: dict[str, Any]) -> None:
        self.add(fact["t"], fact["ol"], date.fromisoformat(fact["day"]), fact["c"])
        if "stats" in fact:
            self.add_intake(fact["stats"])


def month_bounds(period: str) -> tuple[date, date]:
    """``2026-10`` → (first day, first day of the next month)."""
    try:
        year, month = (int(part) for part in period.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValueError(f"period {period!r} is not a month like 2026-10") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following
