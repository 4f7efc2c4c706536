"""Statistics (统计分析) cut every way, exported to a workbook; the hot-spot map's boundaries and numbers; the
alerts by area and the requests behind a spike, as each person may see them.

The month is the assessment tests' scripted October 2026 in 鹤壁市 (tests/assessment_month.py): 8 requests taken at
the city, 7 placed in 淇滨区 and 1 in 鹤山区, all consultations by phone; the departments 住建局 (U1) and 城管局 (U2)
were each given three to lead. The spike is planted at today's date (not October 2026) after the month's tests.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli.main import app as cli
from core.assessment import geometry
from core.assessment.hotspots import detect_all
from infra.settings import Settings
from tests.assessment_month import (
    HESHAN,
    QIBIN,
    departments,  # noqa: F401 (the fixture `units`)
    quiet,
    scripted_month,  # noqa: F401 (the fixture `month`)
    worker_on_no_clock,  # noqa: F401 (the fixture `worker`)
)
from tests.orders_helpers import (
    ADMIN,
    CITY,
    DISPATCHER,
    OPERATOR,
    OTHER_CITY,
    SUPERVISOR,
    act,
    intake,
    record_at,
    staff,
)

CITIES = (CITY, OTHER_CITY)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
STATS = f"/api/v1/tenants/{CITY}/statistics"


async def stats(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(STATS, params={**OCTOBER, **params}, headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def counts(table: dict[str, Any]) -> dict[str, int]:
    return {i["key"]: i["count"] for i in table["items"]}


# --- statistics -----------------------------------------------------------------------------------------------

async def test_by_unit_counts_what_each_of_the_tenants_units_was_assigned(
        client: httpx.AsyncClient, month: dict[str, str], units: dict[str, int]) -> None:
    table = await stats(client, by="unit")
    assert table["measure"] == "assigned"
    assert counts(table) == {str(units["U1"]): 3, str(units["U2"]): 3}  # A B C; C (sent back) E H
    assert {i["name"] for i in table["items"]} == {"市住房和城乡建设局", "市城市管理局"}
    assert table["total"] == 6


async def test_by_month_runs_through_every_month_of_the_range_with_its_zeros(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    table = await stats(client, by="month", **{"from": "2026-09-01", "to": "2026-11-30"})
    assert [(i["key"], i["count"]) for i in table["items"]] == [("2026-09", 0), ("2026-10", 8), ("2026-11", 0)]
    days = await stats(client, by="day")
    assert len(days["items"]) == 31 and days["total"] == 8


async def test_area_by_type_is_a_cross_table_with_names(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    table = await stats(client, by="area", then="type")
    rows = {i["key"]: (i["name"], i["cells"]) for i in table["items"]}
    assert rows == {QIBIN: ("淇滨区", {"consultation": 7}), HESHAN: ("鹤山区", {"consultation": 1})}
    assert table["columns"] == [{"key": "consultation", "name": "咨询", "count": 8}]
    assert table["total"] == 8


async def test_unit_by_day_is_a_cross_table_of_assignments(
        client: httpx.AsyncClient, month: dict[str, str], units: dict[str, int]) -> None:
    table = await stats(client, by="unit", then="day")
    u1 = next(i for i in table["items"] if i["key"] == str(units["U1"]))
    assert sum(u1["cells"].values()) == 3 and len(table["columns"]) == 31
    assert sum(c["count"] for c in table["columns"]) == table["total"] == 6


async def test_every_cut_names_what_it_counts(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    assert [(i["key"], i["name"]) for i in (await stats(client, by="channel"))["items"]] == [("phone", "电话")]
    majors = await stats(client, by="major_category")
    assert majors["items"][0]["name"] and not majors["items"][0]["name"].isdigit()
    minors = await stats(client, by="category", area=QIBIN)
    assert minors["area_name"] == "淇滨区" and minors["total"] == 7
    assert all(i["name"] for i in minors["items"])


async def test_an_area_filter_drills_the_area_cut_one_level_down(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    table = await stats(client, by="area", area=HESHAN)
    assert table["total"] == 1 and all(len(i["key"]) in (6, 9) for i in table["items"])


@pytest.mark.parametrize(("params", "field"), [
    ({"by": "unit", "category": "01"}, "by"),
    ({"by": "unit", "then": "area"}, "then"),
    ({"by": "area", "then": "area"}, "then"),
    ({"by": "area", "area": "410511"}, "area"),
    ({"by": "galaxy"}, "by"),
])
async def test_a_cut_the_read_model_cannot_answer_is_refused_with_the_field(
        client: httpx.AsyncClient, month: dict[str, str], params: dict[str, str], field: str) -> None:
    response = await client.get(STATS, params={**OCTOBER, **params}, headers=SUPERVISOR)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


async def test_the_table_downloads_as_a_workbook_of_names_and_numbers(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(STATS, params={**OCTOBER, "by": "area", "then": "type", "format": "xlsx"},
                                headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["统计分析"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "鹤壁市" in rows[0][0] and "2026-10-01" in rows[0][0]
    assert rows[2] == ["区域", "咨询", "合计"]
    assert rows[3] == ["淇滨区", 7, 7] and rows[4] == ["鹤山区", 1, 1]
    assert rows[-1] == ["合计", 8, 8]
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


# --- the map --------------------------------------------------------------------------------------------------

async def test_a_city_gets_the_boundaries_of_its_own_districts_only(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/map", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    shape = response.json()
    assert shape["type"] == "FeatureCollection" and shape["source"]["licence"] == "MIT"
    codes = {f["properties"]["code"] for f in shape["features"]}
    assert codes == {b.code for b in geometry.counties_of(CITY)} and {QIBIN, HESHAN} <= codes
    assert all(c.startswith(CITY) for c in codes)
    names = {f["properties"]["code"]: f["properties"]["name"] for f in shape["features"]}
    assert names[QIBIN] == "淇滨区"
    assert all(f["geometry"]["type"] == "MultiPolygon" and f["geometry"]["coordinates"] for f in shape["features"])


async def test_the_map_travels_gzipped_and_is_not_sent_twice(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    province = staff("supervisor", tenant="41")
    first = await client.get("/api/v1/tenants/41/map", headers={**province, "Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert len(first.json()["features"]) == len(geometry.counties_of("41")) > 150
    again = await client.get("/api/v1/tenants/41/map", headers={**province, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_the_map_of_a_sibling_city_is_not_yours(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/tenants/{OTHER_CITY}/map", headers=SUPERVISOR)
    assert response.status_code == 403


async def test_the_hot_spot_map_counts_requests_and_overdue_orders_per_district(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/hotspots", params=OCTOBER, headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    areas = {a["code"]: a for a in response.json()["areas"]}
    assert (areas[QIBIN]["requests"], areas[HESHAN]["requests"]) == (7, 1)
    assert (areas[HESHAN]["open"], areas[HESHAN]["overdue"]) == (1, 1)  # I, with 鹤山区 past its limit
    assert areas[QIBIN]["mapped"] and areas[QIBIN]["per_10k"] is None  # no population loaded: no per-capita figure
    unmapped = [a for a in areas.values() if not a["mapped"]]
    assert all(a["name"] and a["requests"] == 0 for a in unmapped)  # development zones: tenants without a boundary


async def test_a_loaded_population_gives_requests_per_10000_residents(
        client: httpx.AsyncClient, month: dict[str, str], tmp_path: Path) -> None:
    table = tmp_path / "population.csv"
    # Test figures, not census figures: round numbers that make the arithmetic plain.
    table.write_text(f"code,population,year,source\n{QIBIN},100000,2020,测试数据\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["assessment", "population", str(table)])
    assert result.exit_code == 0, result.output
    areas = {a["code"]: a for a in (await client.get(f"/api/v1/tenants/{CITY}/hotspots", params=OCTOBER,
                                                     headers=SUPERVISOR)).json()["areas"]}
    assert (areas[QIBIN]["population"], areas[QIBIN]["per_10k"]) == (100000, 0.7)
    assert areas[HESHAN]["per_10k"] is None
    bad = tmp_path / "bad.csv"
    bad.write_text("code,population,year,source\n4106xx,5,2020,x\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["assessment", "population", str(bad)])
    assert refused.exit_code != 0 and "bad.csv:2" in refused.output


# --- alerts and the requests behind one -----------------------------------------------------------------------

@pytest.fixture(scope="module")
async def spike(app: Any, client: httpx.AsyncClient, month: dict[str, str], tree: Settings) -> dict[str, Any]:
    """Twelve requests about building noise (0102) in 鹤山区 today, one of them sent on to 鹤山区; a dust request
    there and a noise request in 淇滨区 beside them; the detection run once. Returns the alert and the numbers."""
    app.state.clock = lambda: datetime.now(UTC)
    phones = iter(range(13700000001, 13700000100))

    async def file(category: str, division: str) -> str:
        body = intake(category=category, division_code=division)
        body["citizen"] = {**body["citizen"], "phone": str(next(phones))}
        response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=body, headers=OPERATOR)
        assert response.status_code == 201, response.text
        return response.json()["number"]  # type: ignore[no-any-return]

    noise = [await file("0102", HESHAN) for _ in range(12)]
    others = [await file("0103", HESHAN), await file("0102", QIBIN)]
    await act(client, noise[0], "dispatch", DISPATCHER, to=HESHAN)
    at_district = await record_at(client, HESHAN, noise[0])
    await quiet(tree, expected_overdue=0)
    pool = await asyncpg.create_pool(tree.postgres_url, min_size=1, max_size=1)
    try:
        assert await detect_all(pool, datetime.now(UTC)) == 1
    finally:
        await pool.close()
    alerts = (await client.get(f"/api/v1/tenants/{CITY}/alerts", headers=SUPERVISOR)).json()
    alert = next(a for a in alerts if a["key"] == f"{HESHAN}:0102")
    return {"alert": alert, "noise": noise, "others": others, "at_district": at_district}


async def test_alerts_carry_names_and_filter_by_area(client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    alert = spike["alert"]
    assert (alert["area_name"], alert["category_name"], alert["tenant_name"]) == ("鹤山区", "建筑施工扰民", "鹤山区")
    here = (await client.get(f"/api/v1/tenants/{CITY}/alerts", params={"area": HESHAN}, headers=SUPERVISOR)).json()
    assert [a["id"] for a in here] == [alert["id"]]
    elsewhere = (await client.get(f"/api/v1/tenants/{CITY}/alerts", params={"area": QIBIN},
                                  headers=SUPERVISOR)).json()
    assert elsewhere == []


async def test_the_city_supervisor_sees_each_request_behind_the_spike_once(
        client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/alerts/{spike['alert']['id']}/orders", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    numbers = [i["number"] for i in body["items"]]
    assert sorted(numbers) == sorted(spike["noise"])  # the city's own records; not the district's copy again
    assert not set(numbers) & set(spike["others"])  # another category, another area
    assert {i["tenant_name"] for i in body["items"]} == {"鹤壁市"}
    assert all(i["category_name"] == "建筑施工扰民" for i in body["items"]) and not body["truncated"]


async def test_the_province_supervisor_reaches_the_same_requests_below(
        client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    response = await client.get(f"/api/v1/tenants/41/alerts/{spike['alert']['id']}/orders",
                                headers=staff("supervisor", tenant="41"))
    assert response.status_code == 200, response.text
    assert sorted(i["number"] for i in response.json()["items"]) == sorted(spike["noise"])


async def test_the_district_supervisor_sees_only_the_district_s_own_record(
        client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    response = await client.get(f"/api/v1/tenants/{HESHAN}/alerts/{spike['alert']['id']}/orders",
                                headers=staff("supervisor", tenant=HESHAN))
    assert response.status_code == 200, response.text
    assert [i["number"] for i in response.json()["items"]] == [spike["at_district"]]


async def test_an_admin_who_may_not_read_orders_gets_none_of_them(
        client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/alerts/{spike['alert']['id']}/orders", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_a_sibling_city_s_supervisor_gets_neither_the_alert_nor_its_orders(
        client: httpx.AsyncClient, spike: dict[str, Any]) -> None:
    sibling = staff("supervisor", tenant=OTHER_CITY)
    at_home = await client.get(f"/api/v1/tenants/{OTHER_CITY}/alerts/{spike['alert']['id']}/orders", headers=sibling)
    assert at_home.status_code == 404 and at_home.json()["error"] == "alert_not_found"
    across = await client.get(f"/api/v1/tenants/{CITY}/alerts/{spike['alert']['id']}/orders", headers=sibling)
    assert across.status_code == 403
