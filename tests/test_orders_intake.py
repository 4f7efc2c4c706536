"""Intake (受理) through the real API: what a new order gets, what is refused and who may register; merging a
duplicate (合并) into the order it repeats; and what an order's answer holds: no internal state, every time in
the province's offset."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.lifecycle_helpers import (
    city_departments,  # noqa: F401 (the fixture `units`)
    handler,
    signed_order,
)
from tests.orders_helpers import CALLER, CITY, DISPATCHER, OPERATOR, OTHER_CITY, SUPERVISOR, act, intake, register

CITIES = (CITY, OTHER_CITY)


# ---- intake ---------------------------------------------------------------------------------


async def test_intake_returns_number_query_code_status_and_deadlines(client: httpx.AsyncClient) -> None:
    order = await register(client)
    assert order["number"].startswith(f"{CITY}-") and len(order["number"].split("-")) == 3
    assert order["query_code"].startswith(f"{CITY}-")
    assert order["status"] == "registered"
    assert order["handle_deadline"] is not None and order["light"] == "green"
    assert order["timeline"][0]["action"] == "register"
    assert order["allowed_actions"] == ["answer", "redirect", "decline", "merge"]  # the operator's, not a dispatcher's


@pytest.mark.parametrize(("change", "field"), [
    ({"citizen": {"name": "李四", "phone": "12345"}}, "citizen.phone"),
    ({"citizen": {"name": "李四", "phone": "13903920001", "id_number": "110105194912310021"}}, "citizen.id_number"),
    ({"division_code": "410502"}, "division_code"),
    ({"category": "9999"}, "category"),
    ({"category": "01"}, "category"),
    ({"channel": "carrier_pigeon"}, "channel"),
    ({"type": "gossip"}, "type"),
    ({"citizen": {"name": "李四", "callback": True}}, "citizen.phone"),
    ({"citizen": {"phone": "13903920001"}}, "citizen.name"),
    ({"title": ""}, "title"),
])
async def test_intake_refuses_bad_fields_with_field_errors(client: httpx.AsyncClient, change: dict,
                                                           field: str) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake(**change), headers=OPERATOR)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert field in [f["field"] for f in body["fields"]]


async def test_intake_accepts_a_valid_id_number_and_anonymous_citizen(client: httpx.AsyncClient) -> None:
    order = await register(client, citizen={"id_number": "11010519491231002X", "anonymous": True,
                                            "phone": "0392-3312345", "callback": True})
    assert order["citizen_id_number"] == "11010519491231002X" and order["anonymous"] is True


async def test_intake_needs_an_operator(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake(), headers=CALLER)
    assert response.status_code == 403


async def test_an_unidentified_request_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake())
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


# ---- merging duplicates ---------------------------------------------------------------------


async def test_merging_a_duplicate_keeps_both_citizens(client: httpx.AsyncClient) -> None:
    first = await register(client)
    second = await register(client, citizen={"name": "赵六", "phone": "13903920099"})
    merged = await act(client, second["number"], "merge", OPERATOR, into=first["number"])
    assert (merged["status"], merged["merged_into"]) == ("merged", first["number"])
    kept = (await client.get(f"/api/v1/tenants/{CITY}/orders/{first['number']}", headers=OPERATOR)).json()
    assert kept["merged_citizens"] == [{"number": second["number"], "name": "赵六", "phone": "13903920099",
                                        "callback": True}]
    assert {"kind": "merged", "number": second["number"]} in kept["links"]
    assert kept["timeline"][-1]["action"] == "merged-in"


async def test_an_order_merged_into_twice_lists_both_citizens_oldest_first(client: httpx.AsyncClient) -> None:
    kept = await register(client)
    numbers = []
    for phone in ("13903920101", "13903920102"):
        other = await register(client, citizen={"name": "钱七", "phone": phone})
        await act(client, other["number"], "merge", OPERATOR, into=kept["number"])
        numbers.append(other["number"])
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{kept['number']}", headers=OPERATOR)).json()
    assert [(c["number"], c["phone"]) for c in detail["merged_citizens"]] == [
        (numbers[0], "13903920101"), (numbers[1], "13903920102")]


# ---- what an order's answer holds ----------------------------------------------------------


async def test_the_order_response_holds_no_internal_state(client: httpx.AsyncClient,
                                                          units: dict[str, int]) -> None:
    """What the service keeps for itself (the assessment's counting, the timer's marks, the sequence of the
    messages from other levels) is not in the order the API returns."""
    order = await signed_order(client, units)
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{order['number']}", headers=SUPERVISOR)).json()
    internal = {"extra", "assessment_state", "received_seq", "auto_urged_at", "auto_escalated_at", "origin_path",
                "merged_count", "event_seq", "event_hash", "search", "paused_remaining_s"}
    assert internal.isdisjoint(detail)
    assert "holding_unit" not in str(detail)  # the assessment's state of it (its unit was dispatched it)


async def test_the_documented_order_holds_no_internal_state(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    detail = spec["components"]["schemas"]["OrderDetail"]["properties"]
    assert "extra" not in detail and "assessment_state" not in detail
    assert detail["merged_citizens"]["items"] == {"$ref": "#/components/schemas/MergedCitizen"}


_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _times(value: object) -> list[str]:
    """Every time in an answer, however deep (payloads, pending extensions, timelines)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and _MOMENT.fullmatch(value) else []


async def test_every_time_in_intake_actions_detail_and_list_is_in_the_provinces_offset(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    number = order["number"]
    dispatched = await act(client, number, "dispatch", DISPATCHER, to=units["housing"])
    await act(client, number, "sign", handler(units))
    extended = await act(client, number, "extend", handler(units), days=2, reason="需现场勘查")
    read = (await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=DISPATCHER)).json()
    listed = (await client.get(f"/api/v1/tenants/{CITY}/orders", headers=DISPATCHER)).json()
    for name, body in (("intake", order), ("dispatch", dispatched), ("extend", extended), ("detail", read),
                       ("list", listed)):
        times = _times(body)
        assert times and all(t.endswith("+08:00") for t in times), (name, [t for t in times if "+08:00" not in t])
    assert extended["pending_extension"]["until"].endswith("+08:00")
