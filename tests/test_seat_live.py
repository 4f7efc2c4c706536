"""The live stream (实时推送) against the real stack: the API served by uvicorn, the stream fed by the commits of
order steps (an API's, and a worker's applying a message from another level) and by the telephony's calls."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from infra.settings import Settings
from tests.federation_helpers import DISTRICT
from tests.live_helpers import listening, served
from tests.orders_helpers import CITY, act, register, staff
from tests.workers import eventually

CITIES = (CITY,)


@pytest.fixture(scope="module")
def server(tree: Settings) -> Iterator[str]:
    with served(tree) as base:
        yield base


async def _unit(client: httpx.AsyncClient, code: str, tenant: str = CITY) -> int:
    made = await client.post(f"/api/v1/tenants/{tenant}/units", headers=staff("admin", tenant=tenant),
                             json={"code": code, "name": f"单位{code}", "kind": "department"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_a_unit_handler_sees_a_dispatch_to_its_unit_within_a_second(
        server: str, client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "water")
    order = await register(client)
    async with listening(server, staff("handler", unit=unit)) as stream:
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
        started = time.monotonic()
        seen = await stream.next("order", 1.0, number=order["number"])
        assert time.monotonic() - started < 1.0
    assert seen == {"tenant": CITY, "number": order["number"], "action": "dispatch", "status": "dispatched",
                    "unit_ids": [unit], "at": seen["at"]}
    assert seen["at"].endswith("+08:00")


async def test_a_unit_handler_does_not_see_another_units_dispatch(server: str, client: httpx.AsyncClient) -> None:
    mine, other = await _unit(client, "roads"), await _unit(client, "parks")
    order = await register(client)
    async with listening(server, staff("handler", unit=mine)) as stream, \
            listening(server, staff("dispatcher")) as centre:
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=other)
        await centre.next("order", 1.0, number=order["number"], action="dispatch")  # it was announced
        await stream.none("order", 0.5, number=order["number"])


async def test_the_centre_sees_an_intake_and_another_tenant_does_not(server: str, client: httpx.AsyncClient) -> None:
    async with listening(server, staff("dispatcher")) as centre, \
            listening(server, staff("dispatcher", tenant=DISTRICT)) as district:
        order = await register(client)
        seen = await centre.next("order", 1.0, number=order["number"])
        assert seen["action"] == "register" and seen["status"] == "registered" and seen["unit_ids"] == []
        await district.none("order", 0.5, number=order["number"])


async def test_a_refused_action_announces_nothing(server: str, client: httpx.AsyncClient) -> None:
    order = await register(client)
    async with listening(server, staff("dispatcher")) as centre:
        await act(client, order["number"], "close", staff("reviewer"), expect=409)
        await centre.none("order", 0.5, number=order["number"])


async def test_a_worker_applied_dispatch_reaches_the_district_centre_stream(
        server: str, client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    order = await register(client)
    async with listening(server, staff("dispatcher", tenant=DISTRICT)) as district:
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
        seen = await district.next("order", 30.0, tenant=DISTRICT, status="dispatched")
    assert seen["number"].startswith(f"{DISTRICT}-") and seen["unit_ids"] == []


async def test_a_call_pops_up_at_the_seat_named_only(server: str, client: httpx.AsyncClient) -> None:
    await register(client, citizen={"name": "李来电", "phone": "13903921234", "anonymous": False, "callback": True})
    seat, other = staff("operator"), staff("dispatcher")
    async with listening(server, seat) as seat_stream, listening(server, other) as other_stream:
        seat_name = (await client.get("/auth/me", headers=seat)).json()["user"]
        answer = await client.post(f"/api/v1/tenants/{CITY}/calls", headers=staff("operator"),
                                   json={"phone": "139 0392 1234", "seat": seat_name, "call_id": "acd-0001"})
        assert answer.status_code == 202, answer.text
        assert answer.json() == {"call_id": "acd-0001", "phone": "13903921234", "seat": seat_name,
                                 "history_count": 1}
        popped = await seat_stream.next("call", 1.0, call_id="acd-0001")
        assert popped["phone"] == "13903921234" and popped["tenant"] == CITY and popped["seat"] == seat_name
        await other_stream.none("call", 0.5)


async def test_the_live_stream_needs_a_signed_in_person(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as anonymous:
        assert (await anonymous.get("/api/v1/live")).status_code == 401


async def test_an_admins_stream_opens_and_carries_no_orders(server: str, client: httpx.AsyncClient) -> None:
    async with listening(server, staff("admin")) as admin, listening(server, staff("dispatcher")) as centre:
        order = await register(client)
        await centre.next("order", 1.0, number=order["number"])
        await admin.none("order", 0.3, number=order["number"])


def _listeners(tree: Settings) -> list[int]:
    with psycopg.connect(tree.postgres_url, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query = 'LISTEN \"hotline_live\"'").fetchall()]


async def test_the_stream_listens_again_after_its_connection_is_dropped(
        tree: Settings, server: str, client: httpx.AsyncClient) -> None:
    async with listening(server, staff("dispatcher")) as centre:
        before = _listeners(tree)
        assert before
        with psycopg.connect(tree.postgres_url, autocommit=True) as conn:
            for pid in before:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await eventually(lambda: _again(tree, before), timeout=10)
        order = await register(client)
        await centre.next("order", 1.0, number=order["number"])


async def _again(tree: Settings, before: list[int]) -> bool:
    now = _listeners(tree)
    return bool(now) and not set(now) & set(before)
