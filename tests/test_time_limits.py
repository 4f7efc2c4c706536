"""Time limits on China's working-day calendar: holidays, make-up days, unknown years, the lights."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI

from core.sla.calendar import CST, WorkCalendar
from core.sla.policy import Light, Limit, light
from tests.orders_helpers import CITY, DISPATCHER, act, register, staff

cal = WorkCalendar()
CITIES = (CITY,)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


def test_national_day_2026_does_not_run_the_clock() -> None:
    # 2026-09-30 (Wed) 10:00 + 2 working days: the rest of 30 Sep, 1–7 Oct off, all of 8 Oct, then 9 Oct.
    deadline, estimated = cal.add_working_days(cst(2026, 9, 30, 10), 2)
    assert deadline == cst(2026, 10, 9, 10) and not estimated


def test_the_make_up_saturday_after_national_day_is_a_working_day() -> None:
    # 2026-10-10 is a Saturday worked in exchange (调休): one working day from Friday 9 Oct ends on it.
    assert cal.is_workday(date(2026, 10, 10))
    assert cal.add_working_days(cst(2026, 10, 9, 15), 1)[0] == cst(2026, 10, 10, 15)
    assert cal.add_working_days(cst(2026, 10, 10, 15), 1)[0] == cst(2026, 10, 12, 15)  # Sunday 11 Oct is off


def test_an_order_registered_on_a_holiday_starts_counting_on_the_next_working_day() -> None:
    deadline, _ = cal.add_working_days(cst(2026, 10, 3, 9), 1)
    assert deadline == cst(2026, 10, 9, 0)  # 8 Oct is the first working day: all of it


def test_a_year_nobody_entered_is_computed_on_weekends_and_flagged() -> None:
    deadline, estimated = cal.add_working_days(cst(2026, 12, 31, 12), 3)
    assert estimated
    assert deadline == cst(2027, 1, 5, 12)  # Thu 31 Dec → Fri 1, Mon 4, Tue 5 Jan (weekends only)


def test_a_year_the_admin_entered_follows_the_schedule() -> None:
    entered = WorkCalendar({date(2027, 1, 1): False}, frozenset({2027}))
    deadline, estimated = entered.add_working_days(cst(2026, 12, 31, 12), 3)
    assert not estimated
    assert deadline == cst(2027, 1, 6, 12)  # 1 Jan is a holiday now


def test_hour_limits_run_on_the_clock_even_on_holidays() -> None:
    assert Limit(4, "hours").deadline(cal, cst(2026, 10, 2, 22)) == (cst(2026, 10, 3, 2), False)


@pytest.mark.parametrize(("now", "deadline", "expected"), [
    (cst(2026, 11, 2, 9), cst(2026, 11, 5, 9), Light.green),
    (cst(2026, 11, 4, 10), cst(2026, 11, 5, 9), Light.yellow),
    (cst(2026, 11, 6, 17), cst(2026, 11, 9, 9), Light.yellow),  # a weekend does not count
    (cst(2026, 11, 5, 10), cst(2026, 11, 5, 9), Light.red),
])
def test_the_light_is_green_yellow_or_red(now: datetime, deadline: datetime, expected: Light) -> None:
    assert light(cal, now, deadline) == expected


# ---- through the API, on a controlled clock -------------------------------------------------








async def test_a_consultation_registered_before_national_day_is_due_after_it(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 9, 30, 10)
    order = await register(client, type="consultation")
    assert datetime.fromisoformat(order["handle_deadline"]) == cst(2026, 10, 9, 10)
    assert order["deadline_estimated"] is False


async def test_an_urgent_order_is_due_in_hours(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 10, 2, 10)
    order = await register(client, urgency="urgent")
    assert datetime.fromisoformat(order["handle_deadline"]) == cst(2026, 10, 3, 10)


async def test_a_deadline_in_an_unentered_year_is_flagged_until_the_admin_enters_it(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 12, 28, 10)
    order = await register(client, type="complaint")
    assert order["deadline_estimated"] is True
    province_admin = staff("admin", tenant="41")
    schedule = {"days": [{"date": "2027-01-01", "workday": False, "name": "元旦"},
                         {"date": "2027-02-06", "workday": True, "name": "春节调休"}]}
    response = await client.put("/api/v1/calendar/2027", json=schedule, headers=province_admin)
    assert response.status_code == 200, response.text
    entered = (await client.get("/api/v1/calendar/2027", headers=province_admin)).json()
    assert entered["source"] == "entered"
    assert [d["date"] for d in entered["days"]] == ["2027-01-01", "2027-02-06"]
    again = await register(client, type="complaint")
    assert again["deadline_estimated"] is False
    assert datetime.fromisoformat(again["handle_deadline"]) > datetime.fromisoformat(order["handle_deadline"])


async def test_only_a_province_admin_enters_the_calendar(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/calendar/2028", json={"days": []}, headers=staff("admin"))
    assert response.status_code == 403


async def test_an_overdue_order_is_red_and_listed_as_overdue(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 11, 2, 9)
    order = await register(client, type="consultation")
    app.state.clock = lambda: cst(2026, 11, 20, 9)
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{order['number']}", headers=DISPATCHER)).json()
    assert detail["light"] == "red"
    overdue = (await client.get(f"/api/v1/tenants/{CITY}/orders", params={"overdue": "true", "limit": 200},
                                headers=DISPATCHER)).json()
    assert order["number"] in [o["number"] for o in overdue["items"]]


async def test_the_effective_time_limits_follow_a_real_provincial_rule(client: httpx.AsyncClient) -> None:
    limits = (await client.get(f"/api/v1/tenants/{CITY}/time-limits", headers=DISPATCHER)).json()
    by_key = {(p["type"], p["urgency"]): p for p in limits}
    assert by_key[("consultation", "normal")]["handle"] == {"value": 2, "unit": "working_days"}
    assert by_key[("complaint", "normal")]["handle"] == {"value": 15, "unit": "working_days"}
    assert by_key[("help", "normal")]["sign"] == {"value": 1, "unit": "working_days"}
    assert by_key[("help", "urgent")]["handle"]["unit"] == "hours"


async def test_a_category_with_a_short_limit_shortens_the_deadline(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 11, 2, 9)
    categories = (await client.get(f"/api/v1/tenants/{CITY}/categories", headers=DISPATCHER)).json()
    short = next(c for c in categories if c["handle_limit_days"] and c["leaf"])
    order = await register(client, type="help", category=short["code"])
    expected, _ = cal.add_working_days(cst(2026, 11, 2, 9), short["handle_limit_days"])
    assert datetime.fromisoformat(order["handle_deadline"]) == expected
    assert order["number"]
    await act(client, order["number"], "urge", staff("supervisor"), reason="加快")


async def test_a_city_admin_shortens_a_limit_for_its_subtree_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2026, 11, 2, 9)
    district = "410611"
    change = [{"type": "complaint", "urgency": "normal", "sign": {"value": 4, "unit": "hours"},
               "handle": {"value": 5, "unit": "working_days"}}]
    refused = await client.put(f"/api/v1/tenants/{CITY}/time-limits", json=change, headers=staff("operator"))
    assert refused.status_code == 403
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", json=change, headers=staff("admin"))
    assert response.status_code == 200, response.text
    mine = {(p["type"], p["urgency"]): p for p in response.json()}
    assert mine[("complaint", "normal")]["handle"] == {"value": 5, "unit": "working_days"}
    district_staff = staff("dispatcher", tenant=district)
    below = (await client.get(f"/api/v1/tenants/{district}/time-limits", headers=district_staff)).json()
    assert {(p["type"], p["urgency"]): p for p in below}[("complaint", "normal")]["handle"]["value"] == 5
    province = (await client.get("/api/v1/tenants/41/time-limits", headers=staff("dispatcher", tenant="41"))).json()
    assert {(p["type"], p["urgency"]): p for p in province}[("complaint", "normal")]["handle"]["value"] == 15
    order = await register(client, type="complaint")
    assert datetime.fromisoformat(order["handle_deadline"]) == cal.add_working_days(cst(2026, 11, 2, 9), 5)[0]


async def test_deadlines_and_the_overviews_time_are_in_the_provinces_offset(app: FastAPI,
                                                                            client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # the clock runs in UTC
    order = await register(client, type="complaint")
    assert order["handle_deadline"].endswith("+08:00") and order["created_at"] == "2026-11-02T09:00:00+08:00"
    overview = (await client.get(f"/api/v1/tenants/{CITY}/overview", headers=DISPATCHER)).json()
    assert overview["at"] == "2026-11-02T09:00:00+08:00"


async def test_a_calendar_day_outside_the_year_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/calendar/2029", headers=staff("admin", tenant="41"),
                                json={"days": [{"date": "2030-01-01", "workday": False}]})
    assert response.status_code == 422
    assert response.json()["detail"] == "days: every day must be in 2029; these are not: 2030-01-01"
