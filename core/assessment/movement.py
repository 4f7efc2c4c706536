"""Movement against the period before (较上期): the period before a period, and each unit's rank and score then.

A month's period before is the month before it (2026-10 → 2026-09); a range of days' is the same number of days
just before it. Both periods are ranked from the read model with the settings in force now, so a change of
weights never shows as movement.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.assessment.ranking_schemas import Movement


def previous_period(period: str, start: date, end: date) -> tuple[str, date, date]:
    """The period before ``period`` (whose days are ``start`` to ``end``, end exclusive), as a period string and its
    days (end exclusive)."""
    if ".." not in period:
        first = (start - timedelta(days=1)).replace(day=1)
        return f"{first.year:04d}-{first.month:02d}", first, start
    length = end - start
    before_start = start - length
    return f"{before_start.isoformat()}..{(start - timedelta(days=1)).isoformat()}", before_start, start


def apply(rows: list[dict[str, Any]], before: list[dict[str, Any]]) -> None:
    """Give each row of a ranked group its rank and score in the same group's ranking of the period before, and
    its movement: up or down (places gained or lost), the same, new (not ranked then), or unranked now."""
    then = {row["id"]: row for row in before}
    for row in rows:
        old = then.get(row["id"], {})
        previous_rank, previous_score = old.get("rank"), old.get("score")
        row["previous_rank"], row["previous_score"] = previous_rank, previous_score
        row["rank_change"] = row["score_change"] = None
        if row["rank"] is None:
            row["movement"] = Movement.unranked
        elif previous_rank is None:
            row["movement"] = Movement.new
        else:
            row["rank_change"] = previous_rank - row["rank"]
            row["score_change"] = round(row["score"] - previous_score, 2)
            row["movement"] = (Movement.up if row["rank_change"] > 0 else Movement.down if row["rank_change"] < 0
                               else Movement.same)
