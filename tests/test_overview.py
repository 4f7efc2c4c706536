"""The overview (总览) of the scripted month (tests/assessment_month.py: October 2026 in 鹤壁市) and one escalation
more: the numbers of the city, of each district and of each department, equal to the ranking's counts of the same
period; a unit's own view; the 30 days' trend; who may read it; and the live stream's ``overview`` event, heard by
a province's supervisor when a town's order changes, by nobody who may not read that subtree."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from tests.assessment_month import (
    HESHAN,
    QIBIN,
    Script,
    at,
    departments,  # noqa: F401 (the fixture `units`)
    entry,
    quiet,
    ranking,
    scripted_month,  # noqa: F401 (the fixture `month`)
    worker_on_no_clock,  # noqa: F401 (the fixture `worker`)
)
from tests.live_helpers import listening, served
from tests.orders_helpers import CITY, DISPATCHER, OTHER_CITY, SUPERVISOR, staff

CITIES = (CITY, OTHER_CITY)
PROVINCE = "41"
TOWN = "410611001"  # 金山街道, in 淇滨区
PERIOD = {"period": "2026-10"}
PERIOD_NUMBERS = ("escalated", "overdue", "closed", "rated")


@pytest.fixture(scope="module")
async def escalated(app: Any, client: httpx.AsyncClient, units: dict[str, int], month: dict[str, str],
                    tree: Settings) -> str:
    """J (21 October): 住建局 (U1) signs it and escalates it (上报) to the city's centre, which holds it since."""
    s = Script(app, client, units)
    number = await s.register(at(21, 9))
    await s.act(at(21, 9, 10), number, "dispatch", DISPATCHER, to=units["U1"])
    await s.act(at(21, 10), number, "sign", s.handler("U1"))
    await s.act(at(21, 11), number, "escalate", s.handler("U1"), reason="涉及多个部门，超出本单位职权")
    app.state.clock = lambda: datetime.now(UTC)  # the overview's "now" is today again
    await quiet(tree, expected_overdue=5)
    return number


@pytest.fixture(scope="module")
def server(tree: Settings) -> Iterator[str]:
    with served(tree) as base:
        yield base


async def _overview(client: httpx.AsyncClient, tenant: str = CITY, who: Any = SUPERVISOR,
                    **params: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tenants/{tenant}/overview", params={**PERIOD, **params}, headers=who)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _counts(row: dict[str, Any]) -> dict[str, Any]:
    """What a ranking row says of the numbers a tile shows for the same period."""
    return {**{k: row["counts"][k] for k in PERIOD_NUMBERS},
            "satisfaction_rate": row["indicators"]["satisfaction_rate"]}


def _tile(tile: dict[str, Any]) -> dict[str, Any]:
    return {k: tile[k] for k in (*PERIOD_NUMBERS, "satisfaction_rate")}


async def test_each_district_shows_the_rankings_numbers_of_the_same_period(
        client: httpx.AsyncClient, escalated: str) -> None:
    view, report = await _overview(client), await ranking(client)
    assert (view["period"], view["from"], view["to"]) == ("2026-10", "2026-10-01", "2026-10-31")
    children = {c["code"]: c for c in view["children"]}
    assert {c["level"] for c in children.values()} == {"district"}
    for code in (HESHAN, QIBIN):
        assert _tile(children[code]) == _counts(entry(report, "tenants", code)), code
    # 鹤山区 holds I, signed late and past its limit; 淇滨区 sent E back and holds nothing.
    assert (children[HESHAN]["open"], children[HESHAN]["red"], children[HESHAN]["overdue"]) == (1, 1, 1)
    assert (children[QIBIN]["open"], children[QIBIN]["overdue"], children[QIBIN]["satisfaction_rate"]) == (0, 0, None)


async def test_each_department_shows_what_it_was_given_and_did(
        client: httpx.AsyncClient, units: dict[str, int], escalated: str) -> None:
    view, report = await _overview(client), await ranking(client)
    tiles = {u["id"]: u for u in view["units"]}
    for key in ("U1", "U2"):
        assert _tile(tiles[units[key]]) == _counts(entry(report, "departments", str(units[key]))), key
    u1, u2 = tiles[units["U1"]], tiles[units["U2"]]
    assert u1["name"] == "市住房和城乡建设局" and u1["kind"] == "department"
    # U1 escalated J; rated A satisfied, B basically, C unsatisfied: (1 + 0.9) / 3.
    assert (u1["escalated"], u1["closed"], u1["overdue"], u1["rated"]) == (1, 3, 2, 3)
    assert u1["satisfaction_rate"] == pytest.approx(1.9 / 3, abs=1e-6)
    # U2 leads H: never signed, urged, long past its limit.
    assert (u2["open"], u2["red"], u2["urged"], u2["escalated"]) == (1, 1, 1, 0)
    assert (u2["rated"], u2["satisfaction_rate"]) == (1, 1.0)


async def test_the_citys_headline_counts_each_request_once_with_escalated_and_satisfaction(
        client: httpx.AsyncClient, escalated: str) -> None:
    total, report = (await _overview(client))["total"], await ranking(client)
    assert _tile(total) == _counts(report["total"])
    # A B C D E taken and closed; B, C, H, I overdue; J escalated; A, E satisfied, B basically, C not.
    assert (total["closed"], total["overdue"], total["escalated"], total["rated"]) == (5, 4, 1, 4)
    assert total["satisfaction_rate"] == pytest.approx((2 + 0.9) / 4, abs=1e-6)
    # Open at the city: C (reworked), H, I (with 鹤山区) and J (escalated back to the centre).
    assert (total["open"], total["urged"]) == (4, 1)
    assert (total["code"], total["name"], total["level"]) == (CITY, "鹤壁市", "city")


async def test_the_province_drills_down_to_the_city_and_to_a_unit_with_the_same_numbers(
        client: httpx.AsyncClient, units: dict[str, int], escalated: str) -> None:
    province_supervisor = staff("supervisor", tenant=PROVINCE)
    province = await _overview(client, PROVINCE, province_supervisor)
    city_tile = next(c for c in province["children"] if c["code"] == CITY)
    city = await _overview(client, CITY, province_supervisor)
    assert city_tile == city["total"]
    assert [t["code"] for t in city["lineage"]] == [PROVINCE] and city["lineage"][0]["name"] == "河南省"
    district = await _overview(client, HESHAN, province_supervisor)
    assert district["total"] == next(c for c in city["children"] if c["code"] == HESHAN)
    assert [t["code"] for t in district["lineage"]] == [PROVINCE, CITY]
    drilled = await client.get(f"/api/v1/tenants/{CITY}/overview/units/{units['U1']}", params=PERIOD,
                               headers=province_supervisor)
    assert drilled.status_code == 200, drilled.text
    unit = drilled.json()
    assert unit["unit"] == next(u for u in city["units"] if u["id"] == units["U1"])
    assert unit["tenant"] == {"code": CITY, "name": "鹤壁市", "level": "city"}
    assert [t["code"] for t in unit["lineage"]] == [PROVINCE]


async def test_the_trend_has_thirty_days_of_intake_closed_and_overdue(
        client: httpx.AsyncClient, units: dict[str, int], escalated: str) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/overview/trend", params={"to": "2026-10-31"},
                                headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    trend = response.json()
    days = trend["days"]
    assert len(days) == 30 and (trend["from"], trend["to"]) == ("2026-10-02", "2026-10-31")
    assert [d["day"] for d in days] == sorted(d["day"] for d in days)
    by_day = {d["day"]: (d["intake"], d["closed"], d["overdue"]) for d in days if d["intake"]}
    # By the day each request was taken: A B on the 12th, C the 13th, D E the 14th, G I the 15th, H the 16th, J.
    assert by_day == {"2026-10-12": (2, 2, 1), "2026-10-13": (1, 1, 1), "2026-10-14": (2, 2, 0),
                      "2026-10-15": (2, 0, 1), "2026-10-16": (1, 0, 1), "2026-10-21": (1, 0, 0)}
    unit = (await client.get(f"/api/v1/tenants/{CITY}/overview/trend", headers=SUPERVISOR,
                             params={"to": "2026-10-31", "unit": units["U1"]})).json()
    assert sum(d["intake"] for d in unit["days"]) == 4 and unit["unit"] == units["U1"]  # A B C J given to U1


async def test_a_dispatcher_reads_its_own_levels_overview_and_not_below(
        client: httpx.AsyncClient, escalated: str) -> None:
    assert (await client.get(f"/api/v1/tenants/{CITY}/overview", headers=DISPATCHER)).status_code == 200
    below = await client.get(f"/api/v1/tenants/{HESHAN}/overview", headers=DISPATCHER)
    assert below.status_code == 403


async def test_a_sibling_citys_supervisor_is_refused(client: httpx.AsyncClient, units: dict[str, int],
                                                     escalated: str) -> None:
    sibling = staff("supervisor", tenant=OTHER_CITY)
    for path in ("/overview", f"/overview/units/{units['U1']}", "/overview/trend"):
        response = await client.get(f"/api/v1/tenants/{CITY}{path}", headers=sibling)
        assert response.status_code == 403, path
        assert response.json()["error"] == "forbidden"


async def test_a_unit_handler_is_refused(client: httpx.AsyncClient, units: dict[str, int], escalated: str) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/overview", headers=staff("handler", unit=units["U1"]))
    assert response.status_code == 403


async def test_an_unknown_unit_and_a_bad_period_are_clear_refusals(client: httpx.AsyncClient,
                                                                   escalated: str) -> None:
    missing = await client.get(f"/api/v1/tenants/{CITY}/overview/units/999999", headers=SUPERVISOR)
    assert missing.status_code == 404 and missing.json()["error"] == "unit_not_found"
    trend = await client.get(f"/api/v1/tenants/{CITY}/overview/trend", params={"unit": 999999}, headers=SUPERVISOR)
    assert trend.status_code == 404 and trend.json()["error"] == "unit_not_found"
    bad = await client.get(f"/api/v1/tenants/{CITY}/overview", params={"period": "October"}, headers=SUPERVISOR)
    assert bad.status_code == 422 and "period" in bad.json()["detail"]


async def test_a_town_order_reaches_the_province_supervisors_overview_and_nobody_elses(
        server: str, client: httpx.AsyncClient, units: dict[str, int], worker: subprocess.Popen[bytes],
        escalated: str) -> None:
    province_supervisor = staff("supervisor", tenant=PROVINCE)

    async def intake_today() -> int:
        province = await _overview(client, PROVINCE, province_supervisor)
        return int(next(c for c in province["children"] if c["code"] == CITY)["intake_today"])

    before = await intake_today()
    async with listening(server, province_supervisor) as province, \
            listening(server, staff("supervisor", tenant=OTHER_CITY)) as sibling, \
            listening(server, staff("handler", unit=units["U2"])) as handler:
        town_operator = staff("operator", tenant=TOWN)
        body = {"channel": "phone", "type": "help", "category": "0101", "title": "路灯不亮",
                "content": "金山街道华夏路路灯连续三晚不亮。", "address": "华夏路", "division_code": TOWN,
                "citizen": {"name": "李女士", "phone": "13903920777", "callback": False}, "urgency": "normal"}
        taken = await client.post(f"/api/v1/tenants/{TOWN}/orders", json=body, headers=town_operator)
        assert taken.status_code == 201, taken.text
        heard = await province.next("overview", 30, where=lambda data: TOWN in data["tenants"])
        assert set(heard) == {"tenants", "cut"}  # tenant codes, never an order's content
        # Heard once the read model has it: reading again shows the new request.
        assert await intake_today() == before + 1
        await sibling.none("overview", 2.0)
        await handler.none("overview", 0.5)
        await handler.none("order", 0.5)


async def test_the_overview_event_names_only_the_listeners_subtree(
        server: str, client: httpx.AsyncClient, escalated: str) -> None:
    async with listening(server, staff("supervisor", tenant=QIBIN)) as district, \
            listening(server, SUPERVISOR) as city:
        taken = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=staff("operator"), json={
            "channel": "phone", "type": "help", "category": "0101", "title": "井盖缺失",
            "content": "鹤壁市某路口井盖缺失。", "address": "某路口", "division_code": CITY,
            "citizen": {"name": "赵先生", "phone": "13903920778", "callback": False}, "urgency": "normal"})
        assert taken.status_code == 201, taken.text
        heard = await city.next("overview", 30, where=lambda data: CITY in data["tenants"])
        assert all(code.startswith(CITY) for code in heard["tenants"])
        await district.none("overview", 1.5)  # a city's own record is no part of a district's numbers
