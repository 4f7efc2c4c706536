"""Cross-level work over real NATS JetStream with a real `hotline worker` process: co-handling (协办) beside
the lead, withdrawals (撤回) from the levels an order no longer waits for, and what a level keeps apart (another
deployment's messages, a record from the level above)."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
import psycopg

from infra.settings import Settings
from tests.federation_helpers import CO_DISTRICT, CO_TOWN, DISTRICT, order_at, record_held_below, status_is
from tests.orders_helpers import CITY, act, register, staff
from tests.workers import eventually

CITIES = (CITY,)


async def test_a_deployment_never_takes_another_namespaces_messages(
        tree: Settings, worker: subprocess.Popen[bytes]) -> None:
    import json
    import uuid

    from nats.js.api import AckPolicy, ConsumerConfig

    from federation.subjects import Namespace
    from federation.transport import connect, ensure_streams

    other = Namespace(f"other{uuid.uuid4().hex[:6]}")
    # The other deployment's streams are made and deleted here: the admin's to do.
    nc = await connect(tree, "test-other-namespace", "admin")
    try:
        js = nc.jetstream()
        await ensure_streams(js, other)
        # The other deployment's consumer, idle: its interest keeps the message in the stream until it acks.
        await js.add_consumer(other.stream("DOWN"), ConsumerConfig(durable_name="appliers-down",
                                                                   ack_policy=AckPolicy.EXPLICIT))
        await js.publish(other.wire(f"hotline.down.urge.41.4106.{DISTRICT}"),
                         json.dumps({"origin_tenant": CITY, "origin_number": "nope", "by_tenant": CITY}).encode())
        await asyncio.sleep(3)  # this module's worker is running all along
        assert (await js.stream_info(other.stream("DOWN"))).state.messages == 1
        for stream in other.streams():
            await js.delete_stream(stream.name)
    finally:
        await nc.close()
    with psycopg.connect(tree.postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.dead_letters").fetchone()[0] == 0


async def test_a_district_co_handles_beside_the_lead_without_moving_the_order(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    order = await register(client)
    number = order["number"]
    bad = await act(client, number, "dispatch", city_dispatcher, expect=422, to=DISTRICT, co_tenants=["4105"])
    assert "co_tenants" in bad["detail"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT, co_tenants=[CO_DISTRICT])
    co_dispatcher = staff("dispatcher", tenant=CO_DISTRICT)

    async def co_record() -> str | None:
        items = (await client.get(f"/api/v1/tenants/{CO_DISTRICT}/orders", headers=co_dispatcher)).json()["items"]
        return next((i["number"] for i in items if i["title"] == order["title"]), None)

    at_co = await eventually(co_record)
    await act(client, at_co, "sign", co_dispatcher, tenant=CO_DISTRICT)

    async def co_signed() -> bool:
        city = await order_at(client, CITY, number, city_dispatcher)
        co = next(a for a in city["assignments"] if a["tenant_code"] == CO_DISTRICT)
        return co["role"] == "co" and co["status"] == "signed"

    await eventually(co_signed)
    assert (await order_at(client, CITY, number, city_dispatcher))["status"] == "dispatched"  # the lead has not signed
    await act(client, at_co, "return", co_dispatcher, tenant=CO_DISTRICT, reason="本区无相关职责")

    async def co_out() -> bool:
        city = await order_at(client, CITY, number, city_dispatcher)
        co = next(a for a in city["assignments"] if a["tenant_code"] == CO_DISTRICT)
        return co["status"] == "returned" and city["status"] == "dispatched"

    await eventually(co_out)
    below = await record_held_below(client, number)
    await act(client, below, "sign", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    await eventually(lambda: status_is(client, CITY, number, city_dispatcher, "signed"))
    steps = {(e["tenant"], e["action"]) for e in (await order_at(client, CITY, number, city_dispatcher))
             ["cross_level_timeline"]}
    assert {(CO_DISTRICT, "sign"), (CO_DISTRICT, "return"), (DISTRICT, "sign")} <= steps


async def test_an_order_dispatched_elsewhere_is_withdrawn_from_the_district_that_had_not_signed_it(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    number = (await register(client))["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT)
    below = await record_held_below(client, number)
    district = staff("dispatcher", tenant=DISTRICT)

    await act(client, number, "dispatch", city_dispatcher, to=CO_DISTRICT, note="改派鹤山区")  # 改派

    await eventually(lambda: _withdrawn(client, DISTRICT, below, district))
    assert (await order_at(client, DISTRICT, below, district))["timeline"][-1]["action"] == "withdraw"
    refused = await act(client, below, "sign", district, tenant=DISTRICT, expect=409)  # nothing left to do here
    assert refused["error"] == "withdrawn" and refused["allowed_actions"] == []
    await act(client, below, "reopen", staff("supervisor", tenant=DISTRICT), tenant=DISTRICT, expect=409,
              reason="再办一次")
    assert (await order_at(client, DISTRICT, below, district))["allowed_actions"] == []
    await record_held_below(client, number, CO_DISTRICT)
    city = await order_at(client, CITY, number, city_dispatcher)
    assert {(a["tenant_code"], a["status"]) for a in city["assignments"]} == {
        (DISTRICT, "withdrawn"), (CO_DISTRICT, "dispatched")}


async def _withdrawn(client: httpx.AsyncClient, tenant: str, record: str, who) -> bool:  # type: ignore[no-untyped-def]
    detail = await order_at(client, tenant, record, who)
    return detail["status"] == "closed" and detail["outcome"] == "withdrawn"


async def test_a_lead_sending_the_order_back_withdraws_the_co_handling_district_and_the_town_it_passed_it_to(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    number = (await register(client))["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT, co_tenants=[CO_DISTRICT])
    co, co_town = staff("dispatcher", tenant=CO_DISTRICT), staff("dispatcher", tenant=CO_TOWN)
    at_co = await record_held_below(client, number, CO_DISTRICT)
    await act(client, at_co, "dispatch", co, tenant=CO_DISTRICT, to=CO_TOWN)  # signs it on the way
    at_town = await record_held_below(client, at_co, CO_TOWN)
    below = await record_held_below(client, number)

    await act(client, below, "return", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT, reason="非本区职责")

    await eventually(lambda: _withdrawn(client, CO_TOWN, at_town, co_town))
    assert await _withdrawn(client, CO_DISTRICT, at_co, co)
    city = await order_at(client, CITY, number, city_dispatcher)
    assert city["status"] == "returned" and "dispatch" in city["allowed_actions"]
    assert {(a["tenant_code"], a["status"]) for a in city["assignments"]} == {
        (DISTRICT, "returned"), (CO_DISTRICT, "returned")}


async def test_a_record_from_the_level_above_is_not_merged_below(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    numbers = [(await register(client))["number"] for _ in range(2)]
    for number in numbers:
        await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)
    first, second = [await record_held_below(client, number) for number in numbers]
    refused = await act(client, first, "merge", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT, expect=409,
                        into=second)
    assert refused["error"] == "taken_at_origin" and CITY in refused["detail"]
    assert refused["params"]["origin_tenant"] == CITY and refused["params"]["origin_tenant_name"]
