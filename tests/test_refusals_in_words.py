"""Refusals a console can say in its own words (issue 33, item 9): each answers a stable code of the document's
ErrorCode with the params its sentence needs — the tenant's NAME beside its code, the order's number, its status,
the actions allowed, the roles wanted — and keeps the English detail for the logs."""

from __future__ import annotations

import httpx

from infra.error_codes import ErrorCode
from tests.orders_helpers import ADMIN, CITY, DISPATCHER, OPERATOR, OTHER_CITY, act, register, staff

CITIES = (CITY, OTHER_CITY)  # 鹤壁市, 安阳市
NAMES = {CITY: "鹤壁市", OTHER_CITY: "安阳市"}


def _refusal(response: httpx.Response, status: int, code: ErrorCode) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code.value and body["detail"], body
    return body["params"]


async def test_a_guards_refusal_says_what_was_asked_and_of_which_tenant_by_name(client: httpx.AsyncClient) -> None:
    # An admin sets the centre up; it does not read its orders (iam/policies.py).
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", headers=ADMIN)
    params = _refusal(response, 403, ErrorCode.forbidden)
    assert params == {"resource": "order", "access": "read", "tenant": CITY, "tenant_name": NAMES[CITY]}


async def test_reading_a_sibling_citys_orders_is_refused_naming_that_city(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{OTHER_CITY}/orders", headers=DISPATCHER)
    params = _refusal(response, 403, ErrorCode.forbidden)
    assert params["tenant"] == OTHER_CITY and params["tenant_name"] == NAMES[OTHER_CITY]


async def test_an_unknown_order_is_refused_with_its_number_and_the_tenants_name(client: httpx.AsyncClient) -> None:
    number = f"{CITY}-20260101-999999"
    response = await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=DISPATCHER)
    params = _refusal(response, 404, ErrorCode.order_not_found)
    assert params == {"number": number, "tenant": CITY, "tenant_name": NAMES[CITY]}


async def test_a_step_the_orders_state_does_not_allow_names_the_status_and_what_may_be_done(
        client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]
    body = await act(client, number, "close", DISPATCHER, expect=409)
    assert body["error"] == ErrorCode.invalid_transition.value
    params = body["params"]
    assert (params["number"], params["action"], params["status"]) == (number, "close", "registered")
    assert "dispatch" in params["allowed_actions"] and params["allowed_actions"] == body["allowed_actions"]


async def test_a_step_without_its_role_names_the_roles_wanted(client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]
    body = await act(client, number, "dispatch", OPERATOR, expect=403, to=1)
    assert body["error"] == ErrorCode.role_needed.value
    assert body["params"] == {"roles": ["dispatcher"], "action": "dispatch"}


async def test_an_unknown_tenant_is_refused_naming_the_code_asked_for(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tenants/4199/orders", headers=staff("dispatcher"))
    params = _refusal(response, 404, ErrorCode.tenant_not_found)
    assert params == {"code": "4199"}
