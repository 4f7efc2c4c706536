"""补录 (backfill) through the API: an order registered with the time it really came in, within the province's
intake policy, its deadlines running from that time; and the policy itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from core.sla.calendar import CST
from tests.orders_helpers import CITY, intake, staff

CITIES = (CITY,)
PROVINCE = "41"
NOW = datetime(2026, 11, 4, 10, tzinfo=CST)  # a Wednesday


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> Iterator[None]:
    saved = app.state.clock
    app.state.clock = lambda: NOW
    yield
    app.state.clock = saved


async def _create(client: httpx.AsyncClient, who=None, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/tenants/{CITY}/orders", headers=who or staff("operator"),
                             json=intake(type="consultation", **body))


async def _policy(client: httpx.AsyncClient, roles: list[str], hours: int) -> httpx.Response:
    return await client.put(f"/api/v1/tenants/{PROVINCE}/intake-policy", headers=staff("admin", tenant=PROVINCE),
                            json={"backfill_roles": roles, "backfill_hours": hours})


async def test_a_backfilled_orders_deadline_runs_from_when_it_came_in(client: httpx.AsyncClient) -> None:
    came_in = NOW - timedelta(hours=26)  # Tuesday 08:00
    response = await _create(client, received_at=came_in.isoformat())
    assert response.status_code == 201, response.text
    order = response.json()
    # A consultation: 2 working days from Tuesday 08:00, not from Wednesday 10:00.
    assert datetime.fromisoformat(order["handle_deadline"]) == datetime(2026, 11, 5, 8, tzinfo=CST)
    assert order["timeline"][0]["payload"]["received_at"] == "2026-11-03T08:00:00+08:00"


async def test_a_backfill_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    response = await _create(client, received_at=(NOW + timedelta(minutes=5)).isoformat())
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "received_at"


async def test_a_backfill_older_than_the_window_is_refused(client: httpx.AsyncClient) -> None:
    response = await _create(client, received_at=(NOW - timedelta(hours=73)).isoformat())
    assert response.status_code == 422 and "72 hours" in response.json()["detail"]


async def test_a_dispatcher_may_not_backfill_by_default(client: httpx.AsyncClient) -> None:
    response = await _create(client, staff("dispatcher"), received_at=(NOW - timedelta(hours=1)).isoformat())
    assert response.status_code == 403


async def test_the_default_policy_is_operators_and_72_hours(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/intake-policy", headers=staff("dispatcher"))
    assert response.json() == {"from": "default", "backfill_roles": ["operator"], "backfill_hours": 72}


async def test_only_the_provinces_admin_sets_the_policy(client: httpx.AsyncClient) -> None:
    city = await client.put(f"/api/v1/tenants/{CITY}/intake-policy", headers=staff("admin"),
                            json={"backfill_roles": ["operator"], "backfill_hours": 24})
    assert city.status_code == 403
    operator = await client.put(f"/api/v1/tenants/{PROVINCE}/intake-policy", headers=staff("operator"),
                                json={"backfill_roles": ["operator"], "backfill_hours": 24})
    assert operator.status_code == 403


async def test_the_provinces_policy_decides_who_and_how_far_back(client: httpx.AsyncClient) -> None:
    response = await _policy(client, ["operator", "dispatcher"], 24)
    assert response.status_code == 200, response.text
    try:
        seen = await client.get(f"/api/v1/tenants/{CITY}/intake-policy", headers=staff("dispatcher"))
        assert seen.json() == {"from": PROVINCE, "backfill_roles": ["dispatcher", "operator"], "backfill_hours": 24}
        allowed = await _create(client, staff("dispatcher"), received_at=(NOW - timedelta(hours=2)).isoformat())
        assert allowed.status_code == 201, allowed.text
        too_old = await _create(client, received_at=(NOW - timedelta(hours=30)).isoformat())
        assert too_old.status_code == 422 and "24 hours" in too_old.json()["detail"]
    finally:
        assert (await _policy(client, ["operator"], 72)).status_code == 200


async def test_a_policy_with_an_unknown_role_is_refused(client: httpx.AsyncClient) -> None:
    response = await _policy(client, ["janitor"], 24)
    assert response.status_code == 422
