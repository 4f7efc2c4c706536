"""The rework time limit (重办时限): how long a level has to handle an order again after the citizen was not
satisfied or a supervisor reopened it. A setting per province, which a city or district may set for its own
subtree (the nearest one up the tree applies); 5 working days where nobody set one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core.sla.service import SlaRules

DEFAULT_REWORK_DAYS = 5


def rework_days(limits: Mapping[str, int], lineage: list[str]) -> tuple[int, str | None]:
    """The rework limit in force at the tenant of ``lineage`` (province first) and who set it (None: default)."""
    for code in reversed(lineage):
        if code in limits:
            return limits[code], code
    return DEFAULT_REWORK_DAYS, None


def rework_deadline(rules: SlaRules, lineage: list[str], now: datetime) -> tuple[datetime, bool]:
    """The deadline of a rework starting ``now`` (and whether it is estimated: a year nobody entered)."""
    days, _ = rework_days(rules.rework_limits, lineage)
    return rules.calendar.add_working_days(now, days)
