"""Time-limit policies (办理时限) and the green / yellow / red light of an order.

A policy gives, per order type × urgency, the limit to sign (签收) and to handle (办理), each
in hours (clock time: urgent matters do not wait for Monday) or working days. The province
sets the defaults; a tenant may override them for itself and its subtree; a category may
shorten the handling limit of normal orders (``handle_limit_days``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.sla.calendar import DAY, WorkCalendar
from core.sla.errors import NoTimeLimit


class Light(StrEnum):
    green = "green"
    yellow = "yellow"  # one working day or less left
    red = "red"  # overdue


@dataclass(frozen=True)
class Limit:
    value: int
    unit: str  # "hours" | "working_days"

    def deadline(self, calendar: WorkCalendar, start: datetime) -> tuple[datetime, bool]:
        """When this limit runs out for something started at ``start`` (and whether estimated)."""
        if self.unit == "hours":
            return start + timedelta(hours=self.value), False
        return calendar.add_working_days(start, self.value)


@dataclass(frozen=True)
class Policy:
    sign: Limit
    handle: Limit


@dataclass(frozen=True)
class PolicyRow:
    owner_tenant: str | None
    type: str
    urgency: str
    sign: Limit
    handle: Limit


def nearest_row(rows: Iterable[PolicyRow], lineage: list[str], type_: str, urgency: str) -> PolicyRow | None:
    """The row in force for a tenant (its own, then its nearest ancestor's, then the province's defaults), or None."""
    rank = {code: depth for depth, code in enumerate(lineage)}
    best: PolicyRow | None = None
    for row in rows:
        if row.type != type_ or row.urgency != urgency:
            continue
        if row.owner_tenant is not None and row.owner_tenant not in rank:
            continue
        if best is None or _rank(row, rank) > _rank(best, rank):
            best = row
    return best


def resolve_policy(rows: Iterable[PolicyRow], lineage: list[str], type_: str, urgency: str,
                   category_days: int | None = None) -> Policy:
    """The most specific policy for a tenant (its own, then its ancestors', then the province's)."""
    best = nearest_row(rows, lineage, type_, urgency)
    if best is None:
        raise NoTimeLimit(type_, urgency)
    handle = best.handle
    if category_days is not None and urgency == "normal" and handle.unit == "working_days":
        handle = Limit(min(handle.value, category_days), "working_days")
    return Policy(best.sign, handle)


def _rank(row: PolicyRow, rank: dict[str, int]) -> int:
    return -1 if row.owner_tenant is None else rank[row.owner_tenant]


def light(calendar: WorkCalendar, now: datetime, deadline: datetime | None) -> Light:
    """Red when overdue, yellow with one working day or less left, green otherwise."""
    if deadline is None:
        return Light.green
    if now > deadline:
        return Light.red
    if calendar.working_seconds_between(now, deadline) <= DAY:
        return Light.yellow
    return Light.green
