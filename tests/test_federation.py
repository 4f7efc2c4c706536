"""Cross-level work over real NATS JetStream with a real `hotline worker` process."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
import psycopg

from infra.settings import Settings
from infra.unit_of_work import OUTBOX_CHANNEL
from tests.orders_helpers import CITY, act, register, staff
from tests.workers import eventually, federation_is_clean

DISTRICT = "410611"
TOWN = "410611001"  # 金山街道
CO_DISTRICT = "410602"  # 鹤山区
CO_TOWN = "410602001"  # 中山北路街道
CITIES = (CITY,)



async def _order(client: httpx.AsyncClient, tenant: str, number: str, who) -> dict:  # type: ignore[no-untyped-def]
    return (await client.get(f"/api/v1/tenants/{tenant}/orders/{number}", headers=who)).json()


async def _held_below(client: httpx.AsyncClient, origin_number: str, tenant: str = DISTRICT) -> str:
    """The number of the record ``tenant`` holds of the order dispatched to it as ``origin_number``."""
    who = staff("dispatcher", tenant=tenant)

    async def find() -> str | None:
        items = (await client.get(f"/api/v1/tenants/{tenant}/orders", headers=who,
                                  params={"limit": 200})).json()["items"]
        for item in items:
            detail = await _order(client, tenant, item["number"], who)
            if detail["timeline"][0]["payload"].get("origin_number") == origin_number:
                return item["number"]
        return None

    return await eventually(find)  # type: ignore[return-value]


async def test_a_commit_with_a_message_wakes_the_relay_and_one_with_only_facts_does_not(
        tree: Settings, client: httpx.AsyncClient) -> None:
    # First in the module, before its worker starts: nothing else commits to this database meanwhile.
    with psycopg.connect(tree.postgres_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        facts_before = _facts_in_outbox(listener)
        order = await register(client)  # its event's assessment fact goes to the outbox, with no message
        assert _facts_in_outbox(listener) > facts_before
        assert list(listener.notifies(timeout=0.5)) == []
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
        assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1


def _facts_in_outbox(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM public.outbox WHERE kind = 'fact'").fetchone()[0]  # type: ignore[index]


async def test_a_city_dispatches_to_a_district_which_signs_handles_and_replies_up(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    order = await register(client)
    number = order["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT, note="请淇滨区办理")
    below = await _held_below(client, number)

    district = staff("dispatcher", tenant=DISTRICT)
    held = await _order(client, DISTRICT, below, district)
    assert held["status"] == "dispatched" and held["title"] == order["title"]
    await act(client, below, "sign", district, tenant=DISTRICT)
    await eventually(lambda: _status_is(client, CITY, number, city_dispatcher, "signed"))

    unit = await client.post(f"/api/v1/tenants/{DISTRICT}/units", headers=staff("admin", tenant=DISTRICT),
                             json={"code": "housing", "name": "淇滨区住建局", "kind": "department"})
    unit_id = unit.json()["id"]
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=unit_id)
    handler = staff("handler", tenant=DISTRICT, unit=unit_id)
    await act(client, below, "sign", handler, tenant=DISTRICT)
    await act(client, below, "reply", handler, tenant=DISTRICT, content="已维修楼顶防水层")
    await act(client, below, "approve", staff("reviewer", tenant=DISTRICT), tenant=DISTRICT)
    await act(client, below, "close", staff("reviewer", tenant=DISTRICT), tenant=DISTRICT)

    await eventually(lambda: _status_is(client, CITY, number, city_dispatcher, "replied"))
    city = await _order(client, CITY, number, city_dispatcher)
    lead = next(a for a in city["assignments"] if a["role"] == "lead")
    assert lead["tenant_code"] == DISTRICT and lead["reply"] == "已维修楼顶防水层"
    by_district = [e for e in city["timeline"] if e["actor_tenant"] == DISTRICT]
    assert [e["action"] for e in by_district] == ["sign", "reply"]
    await act(client, number, "approve", staff("reviewer"))
    closed = await act(client, number, "close", staff("reviewer"))
    assert closed["status"] == "closed"


async def _status_is(client: httpx.AsyncClient, tenant: str, number: str, who, status: str) -> bool:  # type: ignore[no-untyped-def]
    return (await _order(client, tenant, number, who))["status"] == status


async def test_the_originator_sees_the_whole_timeline_down_to_the_town(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await _held_below(client, order["number"])
    district = staff("dispatcher", tenant=DISTRICT)
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=TOWN)

    async def town_record() -> str | None:
        town = staff("dispatcher", tenant=TOWN)
        items = (await client.get(f"/api/v1/tenants/{TOWN}/orders", headers=town)).json()["items"]
        return items[0]["number"] if items else None

    at_town = await eventually(town_record)
    await act(client, at_town, "sign", staff("dispatcher", tenant=TOWN), tenant=TOWN)
    await eventually(lambda: _status_is(client, DISTRICT, below, district, "signed"))

    city = await _order(client, CITY, order["number"], staff("dispatcher"))
    steps = [(e["tenant"], e["action"]) for e in city["cross_level_timeline"]]
    assert steps[:2] == [(CITY, "register"), (CITY, "dispatch")]
    assert (DISTRICT, "dispatch-received") in steps and (DISTRICT, "dispatch") in steps
    assert (TOWN, "dispatch-received") in steps and (TOWN, "sign") in steps
    times = [e["occurred_at"] for e in city["cross_level_timeline"]]
    assert times == sorted(times)


async def test_a_district_sends_an_order_back_up(client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    order = await register(client)
    await act(client, order["number"], "dispatch", city_dispatcher, to=DISTRICT)
    below = await _held_below(client, order["number"])
    await act(client, below, "return", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT,
              reason="不属于本区管辖")
    await eventually(lambda: _status_is(client, CITY, order["number"], city_dispatcher, "returned"))
    city = await _order(client, CITY, order["number"], city_dispatcher)
    assert city["timeline"][-1]["reason"] == "不属于本区管辖"


async def test_urging_reaches_the_district_at_once(client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await _held_below(client, order["number"])
    await act(client, order["number"], "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")
    district = staff("dispatcher", tenant=DISTRICT)

    async def urged() -> bool:
        return (await _order(client, DISTRICT, below, district))["urge_count"] == 1

    await eventually(urged)


async def _district_handles(client: httpx.AsyncClient, below: str, unit_id: int, content: str) -> None:
    handler = staff("handler", tenant=DISTRICT, unit=unit_id)
    reviewer = staff("reviewer", tenant=DISTRICT)
    await act(client, below, "reply", handler, tenant=DISTRICT, content=content)
    await act(client, below, "approve", reviewer, tenant=DISTRICT)
    await act(client, below, "close", reviewer, tenant=DISTRICT)


async def test_a_rejected_reply_goes_back_down_and_the_rating_reaches_the_district(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher, district = staff("dispatcher"), staff("dispatcher", tenant=DISTRICT)
    order = await register(client)
    number = order["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT)
    below = await _held_below(client, number)
    await act(client, below, "sign", district, tenant=DISTRICT)
    unit = await client.post(f"/api/v1/tenants/{DISTRICT}/units", headers=staff("admin", tenant=DISTRICT),
                             json={"code": "urban", "name": "淇滨区城管局", "kind": "department"})
    unit_id = unit.json()["id"]
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=unit_id)
    await act(client, below, "sign", staff("handler", tenant=DISTRICT, unit=unit_id), tenant=DISTRICT)
    await _district_handles(client, below, unit_id, "已处理")
    await eventually(lambda: _status_is(client, CITY, number, city_dispatcher, "replied"))

    await act(client, number, "reject", staff("reviewer"), reason="答复未说明处理结果")

    async def reworking() -> bool:  # 审核不通过: back with the district's unit, not counted as a rework
        held = await _order(client, DISTRICT, below, district)
        return held["status"] == "signed" and held["timeline"][-1]["action"] == "reject" \
            and held["reopen_count"] == 0

    await eventually(reworking)
    await _district_handles(client, below, unit_id, "已清理并恢复路面，回访住户确认")
    await eventually(lambda: _status_is(client, CITY, number, city_dispatcher, "replied"))
    await act(client, number, "approve", staff("reviewer"))
    await act(client, number, "close", staff("reviewer"))
    await act(client, number, "revisit", staff("caller"), satisfaction="satisfied")

    async def rated() -> bool:
        return (await _order(client, DISTRICT, below, district))["satisfaction"] == "satisfied"

    await eventually(rated)


async def test_a_district_escalates_an_order_to_the_city(client: httpx.AsyncClient,
                                                         worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher, district = staff("dispatcher"), staff("dispatcher", tenant=DISTRICT)
    order = await register(client)
    await act(client, order["number"], "dispatch", city_dispatcher, to=DISTRICT)
    below = await _held_below(client, order["number"])
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "escalate", district, tenant=DISTRICT, reason="涉及跨区协调，超出本级职权")
    await eventually(lambda: _status_is(client, CITY, order["number"], city_dispatcher, "escalated"))
    city = await _order(client, CITY, order["number"], city_dispatcher)
    assert city["timeline"][-1]["action"] == "escalate" and city["timeline"][-1]["actor_tenant"] == DISTRICT
    assert "dispatch" in city["allowed_actions"]


async def test_an_overdue_order_is_urged_automatically_once(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    from core.categories.service import CategoryStore
    from core.orders.overdue import REASON, urge_overdue
    from core.sla.service import SlaStore

    app.state.clock = lambda: datetime.now().astimezone() - timedelta(days=40)
    try:
        order = await register(client, type="consultation")
    finally:
        app.state.clock = lambda: datetime.now().astimezone()
    settings, stores = app.state.settings, (SlaStore(), CategoryStore())
    await urge_overdue(app.state.db, settings, *stores)  # the worker's own timer may have been first
    detail = await _order(client, CITY, order["number"], staff("dispatcher"))
    urge = next(e for e in detail["timeline"] if e["action"] == "urge")
    assert detail["urge_count"] == 1 and urge["reason"] == REASON and urge["actor"] == "system:timer"
    await urge_overdue(app.state.db, settings, *stores)  # the next scan leaves it alone
    assert (await _order(client, CITY, order["number"], staff("dispatcher")))["urge_count"] == 1


async def test_after_the_traffic_the_federation_check_is_clean(client: httpx.AsyncClient,
                                                               worker: subprocess.Popen[bytes]) -> None:
    federation_is_clean()


async def test_an_overdue_policy_escalates_a_districts_order_to_the_city_once(
        app, client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    from core.categories.service import CategoryStore
    from core.orders.overdue import ESCALATE_REASON, escalate_overdue
    from core.sla.service import SlaStore

    province_admin = staff("admin", tenant="41")
    bad = await client.put("/api/v1/tenants/41/overdue-policy", headers=province_admin,
                           json={"escalate_after_hours": -1})
    assert bad.status_code == 422
    set_ = await client.put("/api/v1/tenants/41/overdue-policy", headers=province_admin,
                            json={"urge_after_hours": None, "escalate_after_hours": 24})
    assert set_.status_code == 200, set_.text
    inherited = await client.get(f"/api/v1/tenants/{DISTRICT}/overdue-policy",
                                 headers=staff("admin", tenant=DISTRICT))
    assert inherited.json() == {"from": "41", "urge_after_hours": None, "escalate_after_hours": 24.0}

    app.state.clock = lambda: datetime.now().astimezone() - timedelta(days=40)
    try:
        order = await register(client, type="consultation")
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
    finally:
        app.state.clock = lambda: datetime.now().astimezone()
    below = await _held_below(client, order["number"])
    await act(client, below, "sign", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    try:
        stores = (SlaStore(), CategoryStore())
        await escalate_overdue(app.state.db, app.state.settings, *stores)  # the worker's timer may be first
        assert await escalate_overdue(app.state.db, app.state.settings, *stores) == 0  # once only
    finally:
        await client.put("/api/v1/tenants/41/overdue-policy", headers=province_admin,
                         json={"urge_after_hours": 0, "escalate_after_hours": None})
    city_dispatcher = staff("dispatcher")
    await eventually(lambda: _status_is(client, CITY, order["number"], city_dispatcher, "escalated"))
    city = await _order(client, CITY, order["number"], city_dispatcher)
    escalation = city["timeline"][-1]
    assert (escalation["action"], escalation["actor_tenant"], escalation["reason"]) == (
        "escalate", DISTRICT, ESCALATE_REASON)
    held = await _order(client, DISTRICT, below, staff("dispatcher", tenant=DISTRICT))
    assert [e["action"] for e in held["timeline"]].count("escalate") == 1


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
        city = await _order(client, CITY, number, city_dispatcher)
        co = next(a for a in city["assignments"] if a["tenant_code"] == CO_DISTRICT)
        return co["role"] == "co" and co["status"] == "signed"

    await eventually(co_signed)
    assert (await _order(client, CITY, number, city_dispatcher))["status"] == "dispatched"  # the lead has not signed
    await act(client, at_co, "return", co_dispatcher, tenant=CO_DISTRICT, reason="本区无相关职责")

    async def co_out() -> bool:
        city = await _order(client, CITY, number, city_dispatcher)
        co = next(a for a in city["assignments"] if a["tenant_code"] == CO_DISTRICT)
        return co["status"] == "returned" and city["status"] == "dispatched"

    await eventually(co_out)
    below = await _held_below(client, number)
    await act(client, below, "sign", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    await eventually(lambda: _status_is(client, CITY, number, city_dispatcher, "signed"))
    steps = {(e["tenant"], e["action"]) for e in (await _order(client, CITY, number, city_dispatcher))
             ["cross_level_timeline"]}
    assert {(CO_DISTRICT, "sign"), (CO_DISTRICT, "return"), (DISTRICT, "sign")} <= steps


async def test_an_order_dispatched_elsewhere_is_withdrawn_from_the_district_that_had_not_signed_it(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    number = (await register(client))["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT)
    below = await _held_below(client, number)
    district = staff("dispatcher", tenant=DISTRICT)

    await act(client, number, "dispatch", city_dispatcher, to=CO_DISTRICT, note="改派鹤山区")  # 改派

    await eventually(lambda: _withdrawn(client, DISTRICT, below, district))
    assert (await _order(client, DISTRICT, below, district))["timeline"][-1]["action"] == "withdraw"
    refused = await act(client, below, "sign", district, tenant=DISTRICT, expect=409)  # nothing left to do here
    assert refused["error"] == "withdrawn" and refused["allowed_actions"] == []
    await act(client, below, "reopen", staff("supervisor", tenant=DISTRICT), tenant=DISTRICT, expect=409,
              reason="再办一次")
    assert (await _order(client, DISTRICT, below, district))["allowed_actions"] == []
    await _held_below(client, number, CO_DISTRICT)
    city = await _order(client, CITY, number, city_dispatcher)
    assert {(a["tenant_code"], a["status"]) for a in city["assignments"]} == {
        (DISTRICT, "withdrawn"), (CO_DISTRICT, "dispatched")}


async def _withdrawn(client: httpx.AsyncClient, tenant: str, record: str, who) -> bool:  # type: ignore[no-untyped-def]
    detail = await _order(client, tenant, record, who)
    return detail["status"] == "closed" and detail["outcome"] == "withdrawn"


async def test_a_lead_sending_the_order_back_withdraws_the_co_handling_district_and_the_town_it_passed_it_to(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher = staff("dispatcher")
    number = (await register(client))["number"]
    await act(client, number, "dispatch", city_dispatcher, to=DISTRICT, co_tenants=[CO_DISTRICT])
    co, co_town = staff("dispatcher", tenant=CO_DISTRICT), staff("dispatcher", tenant=CO_TOWN)
    at_co = await _held_below(client, number, CO_DISTRICT)
    await act(client, at_co, "dispatch", co, tenant=CO_DISTRICT, to=CO_TOWN)  # signs it on the way
    at_town = await _held_below(client, at_co, CO_TOWN)
    below = await _held_below(client, number)

    await act(client, below, "return", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT, reason="非本区职责")

    await eventually(lambda: _withdrawn(client, CO_TOWN, at_town, co_town))
    assert await _withdrawn(client, CO_DISTRICT, at_co, co)
    city = await _order(client, CITY, number, city_dispatcher)
    assert city["status"] == "returned" and "dispatch" in city["allowed_actions"]
    assert {(a["tenant_code"], a["status"]) for a in city["assignments"]} == {
        (DISTRICT, "returned"), (CO_DISTRICT, "returned")}


async def test_a_record_from_the_level_above_is_not_merged_below(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    numbers = [(await register(client))["number"] for _ in range(2)]
    for number in numbers:
        await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)
    first, second = [await _held_below(client, number) for number in numbers]
    refused = await act(client, first, "merge", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT, expect=409,
                        into=second)
    assert refused["error"] == "invalid_transition" and CITY in refused["detail"]
