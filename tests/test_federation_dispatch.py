"""Cross-level work over real NATS JetStream with a real `hotline worker` process: an order's way down the
levels and back up. A dispatch wakes the relay; a district signs, handles and replies up, sends an order back,
escalates it; urges, rejected replies and ratings reach it; overdue orders are urged and escalated once; after the
traffic `federation check` is clean."""

from __future__ import annotations

import subprocess

import httpx
import psycopg

from infra.settings import Settings
from infra.unit_of_work import OUTBOX_CHANNEL
from tests.federation_helpers import DISTRICT, TOWN, order_at, record_held_below, status_is
from tests.orders_helpers import CITY, act, register, staff
from tests.workers import eventually, federation_is_clean

CITIES = (CITY,)


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
    below = await record_held_below(client, number)

    district = staff("dispatcher", tenant=DISTRICT)
    held = await order_at(client, DISTRICT, below, district)
    assert held["status"] == "dispatched" and held["title"] == order["title"]
    await act(client, below, "sign", district, tenant=DISTRICT)
    await eventually(lambda: status_is(client, CITY, number, city_dispatcher, "signed"))

    unit = await client.post(f"/api/v1/tenants/{DISTRICT}/units", headers=staff("admin", tenant=DISTRICT),
                             json={"code": "housing", "name": "淇滨区住建局", "kind": "department"})
    unit_id = unit.json()["id"]
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=unit_id)
    handler = staff("handler", tenant=DISTRICT, unit=unit_id)
    await act(client, below, "sign", handler, tenant=DISTRICT)
    await act(client, below, "reply", handler, tenant=DISTRICT, content="已维修楼顶防水层")
    await act(client, below, "approve", staff("reviewer", tenant=DISTRICT), tenant=DISTRICT)
    await act(client, below, "close", staff("reviewer", tenant=DISTRICT), tenant=DISTRICT)

    await eventually(lambda: status_is(client, CITY, number, city_dispatcher, "replied"))
    city = await order_at(client, CITY, number, city_dispatcher)
    lead = next(a for a in city["assignments"] if a["role"] == "lead")
    assert lead["tenant_code"] == DISTRICT and lead["reply"] == "已维修楼顶防水层"
    by_district = [e for e in city["timeline"] if e["actor_tenant"] == DISTRICT]
    assert [e["action"] for e in by_district] == ["sign", "reply"]
    await act(client, number, "approve", staff("reviewer"))
    closed = await act(client, number, "close", staff("reviewer"))
    assert closed["status"] == "closed"


async def test_the_originator_sees_the_whole_timeline_down_to_the_town(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await record_held_below(client, order["number"])
    district = staff("dispatcher", tenant=DISTRICT)
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=TOWN)

    async def town_record() -> str | None:
        town = staff("dispatcher", tenant=TOWN)
        items = (await client.get(f"/api/v1/tenants/{TOWN}/orders", headers=town)).json()["items"]
        return items[0]["number"] if items else None

    at_town = await eventually(town_record)
    await act(client, at_town, "sign", staff("dispatcher", tenant=TOWN), tenant=TOWN)
    await eventually(lambda: status_is(client, DISTRICT, below, district, "signed"))

    city = await order_at(client, CITY, order["number"], staff("dispatcher"))
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
    below = await record_held_below(client, order["number"])
    await act(client, below, "return", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT,
              reason="不属于本区管辖")
    await eventually(lambda: status_is(client, CITY, order["number"], city_dispatcher, "returned"))
    city = await order_at(client, CITY, order["number"], city_dispatcher)
    assert city["timeline"][-1]["reason"] == "不属于本区管辖"


async def test_urging_reaches_the_district_at_once(client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await record_held_below(client, order["number"])
    await act(client, order["number"], "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")
    district = staff("dispatcher", tenant=DISTRICT)

    async def urged() -> bool:
        return (await order_at(client, DISTRICT, below, district))["urge_count"] == 1

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
    below = await record_held_below(client, number)
    await act(client, below, "sign", district, tenant=DISTRICT)
    unit = await client.post(f"/api/v1/tenants/{DISTRICT}/units", headers=staff("admin", tenant=DISTRICT),
                             json={"code": "urban", "name": "淇滨区城管局", "kind": "department"})
    unit_id = unit.json()["id"]
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=unit_id)
    await act(client, below, "sign", staff("handler", tenant=DISTRICT, unit=unit_id), tenant=DISTRICT)
    await _district_handles(client, below, unit_id, "已处理")
    await eventually(lambda: status_is(client, CITY, number, city_dispatcher, "replied"))

    await act(client, number, "reject", staff("reviewer"), reason="答复未说明处理结果")

    async def reworking() -> bool:  # 审核不通过: back with the district's unit, not counted as a rework
        held = await order_at(client, DISTRICT, below, district)
        return held["status"] == "signed" and held["timeline"][-1]["action"] == "reject" \
            and held["reopen_count"] == 0

    await eventually(reworking)
    await _district_handles(client, below, unit_id, "已清理并恢复路面，回访住户确认")
    await eventually(lambda: status_is(client, CITY, number, city_dispatcher, "replied"))
    await act(client, number, "approve", staff("reviewer"))
    await act(client, number, "close", staff("reviewer"))
    await act(client, number, "revisit", staff("caller"), satisfaction="satisfied")

    async def rated() -> bool:
        return (await order_at(client, DISTRICT, below, district))["satisfaction"] == "satisfied"

    await eventually(rated)


async def test_a_district_escalates_an_order_to_the_city(client: httpx.AsyncClient,
                                                         worker: subprocess.Popen[bytes]) -> None:
    city_dispatcher, district = staff("dispatcher"), staff("dispatcher", tenant=DISTRICT)
    order = await register(client)
    await act(client, order["number"], "dispatch", city_dispatcher, to=DISTRICT)
    below = await record_held_below(client, order["number"])
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "escalate", district, tenant=DISTRICT, reason="涉及跨区协调，超出本级职权")
    await eventually(lambda: status_is(client, CITY, order["number"], city_dispatcher, "escalated"))
    city = await order_at(client, CITY, order["number"], city_dispatcher)
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
    detail = await order_at(client, CITY, order["number"], staff("dispatcher"))
    urge = next(e for e in detail["timeline"] if e["action"] == "urge")
    assert detail["urge_count"] == 1 and urge["reason"] == REASON and urge["actor"] == "system:timer"
    await urge_overdue(app.state.db, settings, *stores)  # the next scan leaves it alone
    assert (await order_at(client, CITY, order["number"], staff("dispatcher")))["urge_count"] == 1


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
    below = await record_held_below(client, order["number"])
    await act(client, below, "sign", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    try:
        stores = (SlaStore(), CategoryStore())
        await escalate_overdue(app.state.db, app.state.settings, *stores)  # the worker's timer may be first
        assert await escalate_overdue(app.state.db, app.state.settings, *stores) == 0  # once only
    finally:
        await client.put("/api/v1/tenants/41/overdue-policy", headers=province_admin,
                         json={"urge_after_hours": 0, "escalate_after_hours": None})
    city_dispatcher = staff("dispatcher")
    await eventually(lambda: status_is(client, CITY, order["number"], city_dispatcher, "escalated"))
    city = await order_at(client, CITY, order["number"], city_dispatcher)
    escalation = city["timeline"][-1]
    assert (escalation["action"], escalation["actor_tenant"], escalation["reason"]) == (
        "escalate", DISTRICT, ESCALATE_REASON)
    held = await order_at(client, DISTRICT, below, staff("dispatcher", tenant=DISTRICT))
    assert [e["action"] for e in held["timeline"]].count("escalate") == 1
