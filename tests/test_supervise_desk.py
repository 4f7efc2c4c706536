"""The 督办 desk (督办台) and 督办签收, end to end: the real API, a real worker, NATS and Keycloak, four levels of Henan
(河南 41 → 郑州 4101 → 中原区 410102 → 林山寨街道 410102001 and its unit), and 开封 4102 beside 郑州.

The province's supervisor finds a town-held red order on the desk, urges it with a reason and a 督办时限; the town's
unit sees the urge and signs it; the sign climbs back; the desk shows it signed; the urge is one urge on every
level's record and in the timeline. The desk lists red, overdue and disputed orders, and only of its own subtree.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from core.categories.service import CategoryStore
from core.orders.overdue import mark_all_overdue
from core.sla.service import SlaStore
from infra.db import sync_engine
from infra.settings import Settings
from tenants.divisions import Division
from tenants.migrate import migrate_tenants
from tenants.service import register
from tests.orders_helpers import act, detail, intake, record_at, staff, until
from tests.workers import eventually, federation_is_clean, start_worker, stop_worker

PROVINCE, CITY, DISTRICT, TOWN, KAIFENG = "41", "4101", "410102", "410102001", "4102"
CHAIN = (CITY, DISTRICT, TOWN)
DIVISIONS = [Division(PROVINCE, "河南省"), Division(CITY, "郑州市"), Division(KAIFENG, "开封市"),
             Division(DISTRICT, "中原区"), Division(TOWN, "林山寨街道")]
CITIES: tuple[str, ...] = ()
UNIT_NAME = "林山寨街道城市管理办公室"
PROVINCE_SUPERVISOR = staff("supervisor", tenant=PROVINCE)
CITY_SUPERVISOR = staff("supervisor", tenant=CITY)


@pytest.fixture(scope="module")
def tree(module_db: Settings) -> Settings:
    """Only the five tenants the desk is tried on (importing 郑州's 208 towns would only take time)."""
    engine = sync_engine(module_db)
    try:
        register(engine, DIVISIONS)
        migrate_tenants(module_db, engine, [d.code for d in DIVISIONS])
    finally:
        engine.dispose()
    return module_db


@pytest.fixture(scope="module")
def worker(tree: Settings) -> Iterator[subprocess.Popen[bytes]]:
    # No timer: it would urge every red order of these tests on its own (超期自动督办); the tests mark overdue
    # orders themselves, when they mean to.
    proc = start_worker(HOTLINE_TIMER_INTERVAL_S="0")
    yield proc
    stop_worker(proc)


@pytest.fixture(scope="module")
async def units(client: httpx.AsyncClient) -> dict[str, int]:
    made = {}
    for tenant, name in ((TOWN, UNIT_NAME), (CITY, "郑州市住房保障和房地产管理局"), (KAIFENG, "开封市城市管理局")):
        response = await client.post(f"/api/v1/tenants/{tenant}/units", headers=staff("admin", tenant=tenant),
                                     json={"code": "desk", "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        made[tenant] = int(response.json()["id"])
    return made


def _red(**overrides: Any) -> dict[str, Any]:
    """An urgent request taken 30 hours ago (补录): its 24-hour limit ran out six hours ago."""
    received = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    return intake(**{"urgency": "urgent", "received_at": received, "division_code": TOWN, "title": "林山寨街道路灯不亮",
                     **overrides})


async def _taken(client: httpx.AsyncClient, tenant: str = CITY, **body: Any) -> str:
    response = await client.post(f"/api/v1/tenants/{tenant}/orders", headers=staff("operator", tenant=tenant),
                                 json=body or intake(division_code=DISTRICT))
    assert response.status_code == 201, response.text
    return str(response.json()["number"])


async def _at_the_town(client: httpx.AsyncClient, units: dict[str, int], body: dict[str, Any]) -> dict[str, str]:
    """A request taken at 郑州 and handed down to the town's unit, signed at every level: each level's record."""
    records = {CITY: await _taken(client, **body)}
    for upper, lower in pairwise(CHAIN):
        await act(client, records[upper], "dispatch", staff("dispatcher", tenant=upper), tenant=upper, to=lower)
        records[lower] = await record_at(client, lower, records[CITY])
        await act(client, records[lower], "sign", staff("dispatcher", tenant=lower), tenant=lower)
    await act(client, records[TOWN], "dispatch", staff("dispatcher", tenant=TOWN), tenant=TOWN, to=units[TOWN])
    await act(client, records[TOWN], "sign", staff("handler", tenant=TOWN, unit=units[TOWN]), tenant=TOWN)
    for level in CHAIN[:-1]:
        await until(client, level, records[level], status="signed")
    return records


async def _desk(client: httpx.AsyncClient, at: str, who: Any = PROVINCE_SUPERVISOR,
                **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tenants/{at}/supervise", headers=who, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _row(client: httpx.AsyncClient, at: str, root: str, who: Any = PROVINCE_SUPERVISOR,
               wanted: Any = None, **params: Any) -> dict[str, Any]:
    """The desk's row of the request ``root`` once the index shows it (and it is as ``wanted`` says)."""
    async def find() -> dict[str, Any] | None:
        rows = [r for r in (await _desk(client, at, who, limit=200, **params))["items"]
                if r["root_number"] == root]
        return rows[0] if rows and (wanted is None or wanted(rows[0])) else None

    return await eventually(find)  # type: ignore[no-any-return]


async def _roots(client: httpx.AsyncClient, at: str, who: Any = PROVINCE_SUPERVISOR, **params: Any) -> set[str]:
    return {r["root_number"] for r in (await _desk(client, at, who, limit=200, **params))["items"]}


def _due(hours: float = 4) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def test_the_province_urges_a_town_held_red_order_the_town_signs_and_the_desk_shows_it_signed(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], units: dict[str, int]) -> None:
    records = await _at_the_town(client, units, _red())
    row = await _row(client, PROVINCE, records[CITY])
    assert "red" in row["kinds"] and row["late_seconds"] > 5 * 3600
    assert (row["tenant"], row["number"], row["tenant_name"]) == (CITY, records[CITY], "郑州市")  # acted on at the top
    assert row["holder"] == {"tenant": TOWN, "tenant_name": "林山寨街道", "number": records[TOWN], "kind": "unit",
                             "unit_id": units[TOWN], "unit_name": UNIT_NAME}
    assert (row["title"], row["area_name"], row["urge_count"]) == ("林山寨街道路灯不亮", "林山寨街道", 0)

    due = _due()
    urged = await client.post(f"/api/v1/tenants/{PROVINCE}/supervise/urge", headers=PROVINCE_SUPERVISOR, json={
        "orders": [{"tenant": row["tenant"], "number": row["number"]}], "reason": "省督办：请今日内修复", "due": due})
    assert urged.status_code == 200, urged.text
    [result] = urged.json()["results"]
    assert result["ok"] and result["urge_count"] == 1

    # The holder sees it: the urge, its reason and 督办时限, and the step to sign it, offered to the unit alone.
    handler = staff("handler", tenant=TOWN, unit=units[TOWN])
    town = await until(client, TOWN, records[TOWN], urges_waiting=1)
    [waiting] = town["urges"]
    assert (waiting["id"], waiting["reason"], waiting["state"], waiting["relayed"], waiting["raised_on"]) == (
        result["urge_id"], "省督办：请今日内修复", "waiting", True, CITY)
    assert datetime.fromisoformat(waiting["due"]) == datetime.fromisoformat(due)
    assert "sign-urge" in (await _as(client, TOWN, records[TOWN], handler))["allowed_actions"]
    assert "sign-urge" not in town["allowed_actions"]  # the town's dispatcher: its unit holds the order
    assert "sign-urge" not in (await detail(client, DISTRICT, records[DISTRICT]))["allowed_actions"]
    inbox = (await client.get(f"/api/v1/tenants/{TOWN}/inbox/urged", headers=handler)).json()
    assert [(o["number"], o["urges_waiting"]) for o in inbox["items"]] == [(records[TOWN], 1)]

    signed = await act(client, records[TOWN], "sign-urge", handler, tenant=TOWN, note="已安排今日下午维修")
    assert signed["urges"][0]["state"] == "signed" and "sign-urge" not in signed["allowed_actions"]
    for level in (DISTRICT, CITY):
        record = await until(client, level, records[level],
                             urges=lambda found: [u["state"] for u in found] == ["signed"])
        assert (record["urges"][0]["signed_tenant"], record["urges"][0]["signed_unit"],
                record["urges"][0]["note"]) == (TOWN, UNIT_NAME, "已安排今日下午维修")

    row = await _row(client, PROVINCE, records[CITY], wanted=lambda r: r["urges_waiting"] == 0)
    [shown] = row["urges"]
    assert (shown["id"], shown["state"], shown["signed_tenant"], shown["signed_unit"]) == (
        result["urge_id"], "signed", TOWN, UNIT_NAME)
    assert (shown["by_tenant_name"], shown["signed_tenant_name"]) == ("河南省", "林山寨街道")
    assert datetime.fromisoformat(shown["signed_at"]) <= datetime.fromisoformat(due)

    # One urge, counted once on every level's record, and once in the timeline the city's page shows.
    for level in CHAIN:
        record = await detail(client, level, records[level])
        assert record["urge_count"] == 1 and [u["id"] for u in record["urges"]] == [result["urge_id"]]
    city = await detail(client, CITY, records[CITY])
    urges = [e for e in city["cross_level_timeline"] if e["action"] == "urge"]
    assert len(urges) == 3 and {e["payload"]["urge_id"] for e in urges} == {result["urge_id"]}


async def test_an_urge_waiting_follows_the_order_down_to_its_next_holder(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], units: dict[str, int]) -> None:
    number = await _taken(client)
    await act(client, number, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=units[CITY])
    first = await act(client, number, "urge", CITY_SUPERVISOR, tenant=CITY, reason="请尽快办理", due=_due())
    await act(client, number, "return", staff("handler", tenant=CITY, unit=units[CITY]), tenant=CITY,
              reason="不属于本单位职责")
    # Back with the city's centre, which may sign it now; it hands the order down instead.
    assert "sign-urge" in (await detail(client, CITY, number))["allowed_actions"]
    await act(client, number, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=DISTRICT)
    district = await record_at(client, DISTRICT, number)
    below = await until(client, DISTRICT, district, urges_waiting=1)
    assert below["urge_count"] == 1 and below["urges"][0]["id"] == first["urges"][0]["id"]
    assert "sign-urge" in below["allowed_actions"]  # the district's centre holds it, unsigned yet
    await act(client, district, "sign-urge", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    await until(client, CITY, number, urges_waiting=0)


async def test_a_bulk_urge_answers_for_each_order_one_refused_as_closed_one_as_not_on_the_desk(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], units: dict[str, int]) -> None:
    open_ = await _taken(client)
    closed = await _taken(client, **intake(type="consultation", division_code=DISTRICT))
    await act(client, closed, "answer", staff("dispatcher", tenant=CITY), tenant=CITY, content="已告知办理流程")
    elsewhere = await _taken(client, KAIFENG, **intake(division_code=KAIFENG))
    urged = await client.post(f"/api/v1/tenants/{CITY}/supervise/urge", headers=CITY_SUPERVISOR, json={
        "orders": [{"tenant": CITY, "number": open_}, {"tenant": CITY, "number": closed},
                   {"tenant": KAIFENG, "number": elsewhere}], "reason": "市督办", "due": _due(8)})
    assert urged.status_code == 200, urged.text
    results = urged.json()["results"]
    assert [(r["number"], r["ok"], r["status"], r["error"]) for r in results] == [
        (open_, True, 200, None), (closed, False, 409, "invalid_transition"),
        (elsewhere, False, 403, "not_on_this_desk")]
    assert (await detail(client, CITY, open_))["urge_count"] == 1
    assert (await detail(client, CITY, closed))["urge_count"] == 0
    # A 督办时限 already past, or none, is refused whole; an auditor reads the desk and urges nothing.
    past = await client.post(f"/api/v1/tenants/{CITY}/supervise/urge", headers=CITY_SUPERVISOR, json={
        "orders": [{"tenant": CITY, "number": open_}], "reason": "市督办", "due": _due(-1)})
    assert past.status_code == 422 and past.json()["fields"][0]["field"] == "due"
    auditor = staff("auditor", tenant=CITY)
    assert (await client.get(f"/api/v1/tenants/{CITY}/supervise", headers=auditor)).json()["may_urge"] is False
    refused = await client.post(f"/api/v1/tenants/{CITY}/supervise/urge", headers=auditor, json={
        "orders": [{"tenant": CITY, "number": open_}], "reason": "x", "due": _due()})
    assert refused.status_code == 403
    handler = staff("handler", tenant=TOWN, unit=units[TOWN])
    assert (await client.get(f"/api/v1/tenants/{TOWN}/supervise", headers=handler)).status_code == 403


async def test_the_desk_lists_red_overdue_and_disputed_orders_of_its_own_subtree_only(
        app: Any, client: httpx.AsyncClient, worker: subprocess.Popen[bytes], units: dict[str, int]) -> None:
    red = (await _at_the_town(client, units, _red()))[CITY]
    green = await _taken(client)  # 15 working days left, nothing disputed: not on the desk
    returned = await _taken(client)  # sent back by the city's unit: disputed, with the city's centre
    await act(client, returned, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=units[CITY])
    await act(client, returned, "return", staff("handler", tenant=CITY, unit=units[CITY]), tenant=CITY,
              reason="非本单位职责")
    kaifeng = await _taken(client, KAIFENG, **_red(division_code=KAIFENG))

    row = await _row(client, PROVINCE, returned, wanted=lambda r: r["status"] == "returned")
    assert (row["kinds"], row["disputes"], row["holder"]["kind"], row["holder"]["tenant"]) == (
        ["disputed"], ["returned"], "centre", CITY)
    await _row(client, PROVINCE, kaifeng)
    await _row(client, PROVINCE, red)
    assert green not in await _roots(client, PROVINCE)

    # 超期: the timer's mark (run here: this module's worker has no timer) puts it among this month's overdue.
    await mark_all_overdue(app.state.db, SlaStore(), CategoryStore())
    row = await _row(client, PROVINCE, red, wanted=lambda r: "overdue" in r["kinds"])
    assert row["kinds"] == ["red", "overdue"]
    assert red in await _roots(client, PROVINCE, kind="overdue")

    # Only the subtree: 郑州's supervisor sees none of 开封's, 开封's none of 郑州's.
    city = await _roots(client, CITY, CITY_SUPERVISOR)
    assert {red, returned} <= city and kaifeng not in city
    assert await _roots(client, KAIFENG, staff("supervisor", tenant=KAIFENG)) == {kaifeng}
    sibling = await client.get(f"/api/v1/tenants/{CITY}/supervise", headers=staff("supervisor", tenant=KAIFENG))
    assert sibling.status_code == 403
    district = await _roots(client, DISTRICT, staff("supervisor", tenant=DISTRICT))
    assert red in district and returned not in district  # held at the town, below 中原区; the other at 郑州

    # Filters, each a cut of the same list.
    assert await _roots(client, PROVINCE, kind="disputed") >= {returned} and \
        red not in await _roots(client, PROVINCE, kind="disputed")
    assert red in await _roots(client, PROVINCE, level="town") and returned not in await _roots(
        client, PROVINCE, level="town")
    assert await _roots(client, PROVINCE, tenant=KAIFENG) == {kaifeng}
    assert red in await _roots(client, PROVINCE, holder_tenant=TOWN, holder_unit=units[TOWN])
    assert red in await _roots(client, PROVINCE, area=DISTRICT) and kaifeng not in await _roots(
        client, PROVINCE, area=DISTRICT)
    assert red in await _roots(client, PROVINCE, light="red") and returned not in await _roots(
        client, PROVINCE, light="red")
    assert red not in await _roots(client, PROVINCE, category="02")
    assert red in await _roots(client, PROVINCE, urged="false")

    # Most late first; the counts are of the whole desk, a page at a time.
    page = await _desk(client, PROVINCE, limit=1)
    assert page["counts"]["total"] >= 3 and page["counts"]["red"] >= 2 and page["counts"]["disputed"] >= 1
    assert page["next_cursor"] and len(page["items"]) == 1
    following = await _desk(client, PROVINCE, limit=200, cursor=page["next_cursor"])
    everything = page["items"] + following["items"]
    deadlines = [datetime.fromisoformat(r["deadline"]) for r in everything if r["deadline"]]
    assert deadlines == sorted(deadlines) and len(everything) == page["counts"]["total"]
    bad = await client.get(f"/api/v1/tenants/{PROVINCE}/supervise", headers=PROVINCE_SUPERVISOR,
                           params={"cursor": "bm90IGEgY3Vyc29y"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_cursor"
    outside = await client.get(f"/api/v1/tenants/{CITY}/supervise", headers=CITY_SUPERVISOR,
                               params={"tenant": KAIFENG})
    assert outside.status_code == 422


async def _as(client: httpx.AsyncClient, tenant: str, number: str, who: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tenants/{tenant}/orders/{number}", headers=who)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_after_the_desk_every_level_agrees(client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    federation_is_clean()
