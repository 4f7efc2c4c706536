"""Time limits (core/sla/policy.py) and working days (core/sla/calendar.py), without a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.sla.calendar import WorkCalendar
from core.sla.errors import NoTimeLimit
from core.sla.policy import Light, Limit, PolicyRow, light, resolve_policy
from infra.times import PROVINCE_ZONE

# 2030: a year the holiday package does not know; these entries make it known.
ENTERED = WorkCalendar({date(2030, 10, 1): False, date(2030, 10, 2): False, date(2030, 10, 12): True},
                       frozenset({2030}))
PROVINCE_ROWS = [
    PolicyRow(None, "complaint", "normal", Limit(24, "hours"), Limit(10, "working_days")),
    PolicyRow(None, "complaint", "urgent", Limit(2, "hours"), Limit(24, "hours")),
]


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=PROVINCE_ZONE)


def test_a_tenants_own_limit_wins_over_the_provinces() -> None:
    rows = [*PROVINCE_ROWS, PolicyRow("4101", "complaint", "normal", Limit(12, "hours"), Limit(5, "working_days"))]
    assert resolve_policy(rows, ["41", "4101", "410102"], "complaint", "normal").handle == Limit(5, "working_days")


def test_a_sibling_citys_limit_does_not_apply() -> None:
    rows = [*PROVINCE_ROWS, PolicyRow("4102", "complaint", "normal", Limit(12, "hours"), Limit(5, "working_days"))]
    assert resolve_policy(rows, ["41", "4101"], "complaint", "normal").handle == Limit(10, "working_days")


def test_a_categorys_days_shorten_only_a_normal_orders_limit() -> None:
    assert resolve_policy(PROVINCE_ROWS, ["41"], "complaint", "normal", 3).handle == Limit(3, "working_days")
    assert resolve_policy(PROVINCE_ROWS, ["41"], "complaint", "urgent", 3).handle == Limit(24, "hours")


def test_no_limit_for_a_type_is_a_named_refusal_not_a_crash() -> None:
    with pytest.raises(NoTimeLimit) as refused:
        resolve_policy(PROVINCE_ROWS, ["41"], "praise", "very_urgent")
    assert refused.value.status == 409 and "very urgent praise" in refused.value.detail


def test_working_days_skip_holidays_and_weekends() -> None:
    # From Monday 30 Sep 2030 10:00: 1 and 2 Oct are holidays, 5 and 6 Oct a weekend.
    deadline, estimated = Limit(3, "working_days").deadline(ENTERED, cst(2030, 9, 30, 10))
    assert (deadline, estimated) == (cst(2030, 10, 7, 10), False)


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    deadline, _ = Limit(1, "working_days").deadline(ENTERED, cst(2030, 10, 11, 10))
    assert deadline == cst(2030, 10, 12, 10)


def test_hours_run_on_the_clock_through_a_holiday() -> None:
    deadline, _ = Limit(24, "hours").deadline(ENTERED, cst(2030, 9, 30, 10))
    assert deadline == cst(2030, 10, 1, 10)


def test_a_year_nobody_entered_counts_weekends_only_and_says_it_is_estimated() -> None:
    _, estimated = Limit(1, "working_days").deadline(WorkCalendar(), cst(2099, 3, 2, 9))
    assert estimated


def test_the_light_turns_yellow_within_a_working_day_and_red_when_overdue() -> None:
    deadline = cst(2030, 10, 4, 10)
    assert light(ENTERED, deadline - timedelta(days=2), deadline) == Light.green
    assert light(ENTERED, deadline - timedelta(hours=20), deadline) == Light.yellow
    assert light(ENTERED, deadline + timedelta(seconds=1), deadline) == Light.red
