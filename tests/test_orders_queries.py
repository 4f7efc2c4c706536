"""Finding orders: filters, cursor pages, exports, the citizen's lookup, duplicates, the audit chain."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli.main import app as cli
from core.sla.calendar import CST
from infra.settings import Settings
from tests.orders_helpers import ADMIN, CITY, DISPATCHER, OPERATOR, act, register

runner = CliRunner()
CITIES = (CITY,)











@pytest.fixture(scope="module")
async def water(client: httpx.AsyncClient) -> int:
    response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                 json={"code": "water", "name": "市水务局", "kind": "department"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
async def seeded(app: FastAPI, client: httpx.AsyncClient, water: int) -> dict[str, dict]:
    """A small, known set of orders on a controlled clock."""
    start = datetime(2026, 11, 2, 9, tzinfo=CST)
    orders = {}
    specs = [
        ("leak", dict(type="complaint", category="0101", channel="phone", title="楼顶漏水",
                      content="连续下雨楼顶漏水")),
        ("noise", dict(type="complaint", category="0102", channel="wechat", title="夜间施工噪音",
                       content="工地夜间施工噪音扰民", citizen={"name": "钱七", "phone": "13903920777"})),
        ("advice", dict(type="suggestion", category="0101", channel="web", title="建议增设公交站",
                        content="建议在淇滨大道增设公交站", citizen={"name": "孙八", "phone": "13903920888"})),
        ("question", dict(type="consultation", category="0101", channel="app", title="咨询公积金提取",
                          content="咨询住房公积金提取条件", citizen={"name": "周九", "phone": "13903920999"})),
    ]
    for i, (key, spec) in enumerate(specs):
        app.state.clock = lambda i=i: start + timedelta(hours=i)
        orders[key] = await register(client, **spec)
    app.state.clock = lambda: start + timedelta(hours=5)
    await act(client, orders["leak"]["number"], "dispatch", DISPATCHER, to=water)
    return orders


async def _list(client: httpx.AsyncClient, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"limit": 200, **params}, headers=OPERATOR)
    assert response.status_code == 200, response.text
    return [o["number"] for o in response.json()["items"]]


async def test_filters_by_status_type_channel_and_unit(client: httpx.AsyncClient, seeded: dict, water: int) -> None:
    numbers = {k: v["number"] for k, v in seeded.items()}
    assert await _list(client, status="dispatched") == [numbers["leak"]]
    assert set(await _list(client, type="complaint")) == {numbers["leak"], numbers["noise"]}
    assert await _list(client, channel="wechat") == [numbers["noise"]]
    assert await _list(client, unit=water) == [numbers["leak"]]


async def test_a_major_category_matches_its_minors(client: httpx.AsyncClient, seeded: dict) -> None:
    assert set(await _list(client, category="01")) == {o["number"] for o in seeded.values()}
    assert await _list(client, category="0102") == [seeded["noise"]["number"]]


async def test_keyword_search_finds_chinese_text(client: httpx.AsyncClient, seeded: dict) -> None:
    assert await _list(client, q="施工噪音") == [seeded["noise"]["number"]]
    assert await _list(client, q="公积金") == [seeded["question"]["number"]]
    assert await _list(client, q="不存在的词") == []


async def test_filters_by_phone_and_creation_time(client: httpx.AsyncClient, seeded: dict) -> None:
    assert await _list(client, phone="13903920888") == [seeded["advice"]["number"]]
    since = datetime(2026, 11, 2, 10, 30, tzinfo=CST).isoformat()
    assert set(await _list(client, created_from=since)) == {seeded["advice"]["number"], seeded["question"]["number"]}


async def test_filters_by_light(app: FastAPI, client: httpx.AsyncClient, seeded: dict) -> None:
    app.state.clock = lambda: datetime(2026, 11, 4, 10, tzinfo=CST)  # the consultation is due 4 Nov 12:00
    assert await _list(client, light="yellow") == [seeded["question"]["number"]]
    app.state.clock = lambda: datetime(2026, 11, 5, 10, tzinfo=CST)
    assert await _list(client, light="red") == [seeded["question"]["number"]]
    assert seeded["question"]["number"] not in await _list(client, light="green")


async def test_cursor_pages_cover_everything_once_in_order(client: httpx.AsyncClient, seeded: dict) -> None:
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/api/v1/tenants/{CITY}/orders", params=params, headers=OPERATOR)).json()
        seen += [o["number"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == await _list(client)
    assert len(seen) == len(set(seen)) >= len(seeded)
    by_deadline = await _list(client, sort="handle_deadline")
    assert by_deadline[0] == seeded["question"]["number"]  # 2 working days: due first


async def test_a_forged_cursor_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"cursor": "bm9wZQ"}, headers=OPERATOR)
    assert response.status_code == 400 and response.json()["error"] == "invalid_cursor"


async def test_csv_export_holds_the_same_rows_with_masked_phones(client: httpx.AsyncClient, seeded: dict) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"format": "csv", "type": "complaint"},
                                headers=OPERATOR)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["number"] for r in rows} == {seeded["leak"]["number"], seeded["noise"]["number"]}
    noise = next(r for r in rows if r["number"] == seeded["noise"]["number"])
    assert noise["title"] == "夜间施工噪音" and noise["citizen_phone"] == "139****0777"


async def test_xlsx_export_opens_with_the_same_rows(client: httpx.AsyncClient, seeded: dict) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"format": "xlsx"}, headers=OPERATOR)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "number"
    assert {r[0] for r in rows[1:]} == set(await _list(client))


# ---- the citizen's lookup --------------------------------------------------------------------


async def test_a_citizen_sees_masked_progress_with_the_matching_phone(client: httpx.AsyncClient,
                                                                      seeded: dict) -> None:
    order = seeded["leak"]
    response = await client.get(f"/api/v1/public/orders/{order['query_code']}", params={"phone": "13903920001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["number"] == order["number"] and body["status"] == "已派单"
    assert body["citizen_name"] == "王**" and body["citizen_phone"] == "139****0001"
    assert [s["step"] for s in body["steps"]] == ["受理", "派单"]
    assert "content" not in body and "address" not in body


async def test_no_data_without_the_matching_phone(client: httpx.AsyncClient, seeded: dict) -> None:
    code = seeded["noise"]["query_code"]
    wrong = await client.get(f"/api/v1/public/orders/{code}", params={"phone": "13903920001"})
    unknown = await client.get(f"/api/v1/public/orders/{CITY}-ZZZZZZZZ", params={"phone": "13903920777"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()  # the two cannot be told apart


async def test_guessing_phones_is_rate_limited(client: httpx.AsyncClient, seeded: dict) -> None:
    code = seeded["advice"]["query_code"]
    responses = [await client.get(f"/api/v1/public/orders/{code}", params={"phone": f"139000000{i:02d}"})
                 for i in range(12)]
    # Three wrong phones are typos, the fourth makes this address wait (tests/test_security_public.py).
    assert [r.status_code for r in responses] == [404] * 4 + [429] * 8
    assert all(int(r.headers["retry-after"]) > 0 for r in responses[4:])


# ---- duplicates (判重) ----------------------------------------------------------------------


async def test_a_repeat_request_is_suggested_as_a_duplicate_with_its_score(
        app: FastAPI, client: httpx.AsyncClient, seeded: dict) -> None:
    app.state.clock = lambda: datetime(2026, 11, 3, 9, tzinfo=CST)
    again = await register(client, type="complaint", category="0101", title="楼顶又漏水了",
                           content="上次反映的楼顶漏水问题还在，连续下雨楼顶漏水")
    top = again["duplicates"][0]
    assert top["number"] == seeded["leak"]["number"]
    assert {"same_phone", "same_category", "similar_text"} <= set(top["reasons"]) and top["score"] >= 0.7
    assert again["repeat_count"] >= 1


async def test_an_unrelated_request_has_no_duplicates(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=OPERATOR, json={
        "channel": "web", "type": "praise", "category": "0105", "title": "表扬环卫工人",
        "content": "感谢环卫工人清晨清扫", "division_code": "410622",
        "citizen": {"name": "吴十", "phone": "13700000000"}})
    assert response.status_code == 201 and response.json()["duplicates"] == []


# ---- the audit chain ------------------------------------------------------------------------


def test_audit_verify_passes_on_an_untouched_log(tree: Settings, seeded: dict) -> None:
    result = runner.invoke(cli, ["audit", "verify", "--tenant", CITY])
    assert result.exit_code == 0, result.output
    assert "every chain intact" in result.output


def test_audit_verify_names_the_first_tampered_event(tree: Settings, seeded: dict) -> None:
    number = seeded["leak"]["number"]
    with psycopg.connect(tree.postgres_url, autocommit=True) as conn:
        conn.execute(f"UPDATE t_{CITY}.order_events SET actor = 'someone-else' WHERE seq = 2 AND order_id = "
                     f"(SELECT id FROM t_{CITY}.orders WHERE number = %s)", (number,))
    result = runner.invoke(cli, ["audit", "verify", "--tenant", CITY])
    assert result.exit_code == 1
    assert f"order {number}, event 2" in result.output and "does not match its hash" in result.output


# ---- reference data -------------------------------------------------------------------------


async def test_units_are_listed_renamed_and_deactivated(client: httpx.AsyncClient, water: int) -> None:
    renamed = await client.patch(f"/api/v1/tenants/{CITY}/units/{water}", headers=ADMIN,
                                 json={"name": "鹤壁市水利局", "active": False})
    assert renamed.status_code == 200 and renamed.json()["name"] == "鹤壁市水利局"
    active = (await client.get(f"/api/v1/tenants/{CITY}/units", headers=OPERATOR)).json()
    assert water not in [u["id"] for u in active]
    everything = (await client.get(f"/api/v1/tenants/{CITY}/units", params={"include_inactive": True},
                                   headers=OPERATOR)).json()
    assert water in [u["id"] for u in everything]
    duplicate = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                  json={"code": "water", "name": "重复", "kind": "department"})
    assert duplicate.status_code == 409
    assert (await client.post(f"/api/v1/tenants/{CITY}/units", headers=OPERATOR,
                              json={"code": "x", "name": "x", "kind": "office"})).status_code == 403


async def test_the_taxonomy_has_hundreds_of_leaves_and_a_tenant_extends_it(client: httpx.AsyncClient) -> None:
    categories = (await client.get(f"/api/v1/tenants/{CITY}/categories", headers=OPERATOR)).json()
    assert sum(c["leaf"] for c in categories) >= 250
    added = await client.post(f"/api/v1/tenants/{CITY}/categories", headers=ADMIN,
                              json={"code": "0199", "name": "淇河保护", "parent_code": "01"})
    assert added.status_code == 201 and added.json()["owner_tenant"] == CITY
    order = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=OPERATOR, json={
        "channel": "phone", "type": "report", "category": "0199", "title": "淇河排污", "content": "有人向淇河排污",
        "citizen": {"name": "郑一", "phone": "13900000001"}})
    assert order.status_code == 201, order.text
