"""The rules an admin's settings are checked by, without a database: time limits (core/sla/limit_settings.py), a
year's holiday schedule (core/sla/calendar_settings.py), overdue policies (core/orders/overdue_policy.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.orders.overdue_policy import OverduePolicy, check_policy
from core.sla.calendar_settings import check_schedule, package_days
from core.sla.errors import DaysOutsideYear, ScheduleWithoutHolidays
from core.sla.limit_settings import check_limits
from core.sla.schemas import CalendarDayIn, PolicyIn
from infra.refusals import InvalidField


def limit(sign: tuple[int, str], handle: tuple[int, str], type_: str = "help", urgency: str = "normal") -> PolicyIn:
    return PolicyIn.model_validate({"type": type_, "urgency": urgency, "sign": {"value": sign[0], "unit": sign[1]},
                                    "handle": {"value": handle[0], "unit": handle[1]}})


def refused_field(call: Any, *args: Any) -> str:
    with pytest.raises(InvalidField) as refused:
        call(*args)
    return refused.value.field


def test_a_sign_limit_in_hours_within_a_working_day_limit_is_accepted() -> None:
    check_limits([limit((4, "hours"), (3, "working_days")),
                  limit((1, "working_days"), (24, "hours"), "help", "urgent")])


@pytest.mark.parametrize(("item", "field"), [
    (limit((2, "working_days"), (1, "working_days")), "0.sign.value"),
    (limit((25, "hours"), (1, "working_days")), "0.sign.value"),
    (limit((1, "working_days"), (61, "working_days")), "0.handle.value"),
])
def test_a_bad_limit_names_its_field(item: PolicyIn, field: str) -> None:
    assert refused_field(check_limits, [item]) == field


def test_one_type_and_urgency_twice_names_the_second() -> None:
    items = [limit((1, "hours"), (4, "hours")), limit((2, "hours"), (5, "hours"))]
    assert refused_field(check_limits, items) == "1.urgency"


def test_an_empty_list_of_limits_is_refused() -> None:
    assert refused_field(check_limits, []) == "limits"


def day(iso: str, workday: bool = False, name: str | None = None) -> CalendarDayIn:
    return CalendarDayIn(date=date.fromisoformat(iso), workday=workday, name=name)


def test_a_schedule_of_holidays_and_weekend_make_up_days_is_accepted() -> None:
    check_schedule(2030, [day("2030-10-01", name="国庆节"), day("2030-10-12", True, "国庆节")])  # a Saturday


def test_a_make_up_day_on_a_weekday_is_refused() -> None:
    assert refused_field(check_schedule, 2030, [day("2030-10-01"), day("2030-10-14", True)]) == "days.1.workday"


def test_a_day_listed_twice_is_refused() -> None:
    assert refused_field(check_schedule, 2030, [day("2030-10-01"), day("2030-10-01")]) == "days.1.date"


def test_a_day_of_another_year_and_an_empty_schedule_are_refused() -> None:
    with pytest.raises(DaysOutsideYear):
        check_schedule(2030, [day("2031-01-01")])
    with pytest.raises(ScheduleWithoutHolidays):
        check_schedule(2030, [])


def test_the_packages_schedule_names_its_holidays_in_chinese_with_the_make_up_saturdays() -> None:
    days = {d.date.isoformat(): d for d in package_days(2026)}
    assert days["2026-02-17"].name == "春节" and not days["2026-02-17"].workday
    assert days["2026-10-10"].workday and days["2026-10-10"].name == "国庆节"
    assert all(d.date.weekday() >= 5 for d in days.values() if d.workday)
    assert package_days(2099) == []


def test_escalating_before_urging_is_refused() -> None:
    assert refused_field(check_policy, OverduePolicy(urge_after_hours=24, escalate_after_hours=4)) == \
        "escalate_after_hours"
    check_policy(OverduePolicy(urge_after_hours=None, escalate_after_hours=4))  # never urged: escalation alone
