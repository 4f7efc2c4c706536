"""One request worked across four levels — province → city → district → town, handled by a town's unit — through
the real API, a real worker and real NATS: every step reaches the level it concerns (docs/crosslevel.md)."""

from __future__ import annotations

import subprocess
from datetime import datetime
from itertools import pairwise
from typing import Any

import httpx
import psycopg
import pytest

from infra.settings import Settings
from tests.orders_helpers import act, detail, intake, record_at, staff, until
from tests.workers import federation_is_clean

PROVINCE, CITY, DISTRICT, TOWN = "41", "4106", "410611", "410611001"  # 河南 → 鹤壁 → 淇滨区 → 金山街道
CHAIN = (PROVINCE, CITY, DISTRICT, TOWN)
CITIES = (CITY,)



@pytest.fixture(scope="module")
async def town_unit(client: httpx.AsyncClient) -> int:
    response = await client.post(f"/api/v1/tenants/{TOWN}/units", headers=staff("admin", tenant=TOWN),
                                 json={"code": "service", "name": "金山街道便民服务中心", "kind": "department"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _handed_down(client: httpx.AsyncClient, town_unit: int) -> dict[str, str]:
    """A request registered at the province and handed down to the town's unit, signed at every level."""
    created = await client.post(f"/api/v1/tenants/{PROVINCE}/orders", headers=staff("operator", tenant=PROVINCE),
                                json=intake(division_code=TOWN))
    assert created.status_code == 201, created.text
    records = {PROVINCE: created.json()["number"]}
    root = records[PROVINCE]
    for upper, lower in pairwise(CHAIN):
        await act(client, records[upper], "dispatch", staff("dispatcher", tenant=upper), tenant=upper, to=lower)
        records[lower] = await record_at(client, lower, root)
        await act(client, records[lower], "sign", staff("dispatcher", tenant=lower), tenant=lower)
    await act(client, records[TOWN], "dispatch", staff("dispatcher", tenant=TOWN), tenant=TOWN, to=town_unit)
    await act(client, records[TOWN], "sign", staff("handler", tenant=TOWN, unit=town_unit), tenant=TOWN)
    for upper in CHAIN[:-1]:
        await until(client, upper, records[upper], status="signed")
    return records


async def _replied_up(client: httpx.AsyncClient, records: dict[str, str], town_unit: int, answer: str) -> None:
    """The town's unit replies; each level below the province approves and closes its part, and the reply climbs
    to the province, where it waits for review."""
    await act(client, records[TOWN], "reply", staff("handler", tenant=TOWN, unit=town_unit), tenant=TOWN,
              content=answer)
    for level in reversed(CHAIN):
        await until(client, level, records[level], status="replied")
        if level != PROVINCE:
            await act(client, records[level], "approve", staff("reviewer", tenant=level), tenant=level)
            await act(client, records[level], "close", staff("reviewer", tenant=level), tenant=level)


async def _closed_at_the_province(client: httpx.AsyncClient, records: dict[str, str]) -> None:
    reviewer = staff("reviewer", tenant=PROVINCE)
    await act(client, records[PROVINCE], "approve", reviewer, tenant=PROVINCE)
    await act(client, records[PROVINCE], "close", reviewer, tenant=PROVINCE)


async def test_one_request_has_one_identity_at_every_level(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int) -> None:
    records = await _handed_down(client, town_unit)
    details = {level: await detail(client, level, number) for level, number in records.items()}
    codes = {record["query_code"] for record in details.values()}
    assert codes == {details[PROVINCE]["query_code"]}  # one code per request, whichever level works on it
    assert {record["root_number"] for record in details.values()} == {records[PROVINCE]}
    # Each level below knows the level that gave it the request, and what it was given there as (主办: lead).
    assert [(details[level]["origin_tenant"], details[level]["origin_role"]) for level in CHAIN] == [
        (None, None), (PROVINCE, "lead"), (CITY, "lead"), (DISTRICT, "lead")]
    # Any level's number finds this level's record; the city's supervisor finds the town's record by the
    # district's number.
    for level in CHAIN:
        for number in records.values():
            assert await record_at(client, level, number) == records[level]
    found = await client.get(f"/api/v1/tenants/{TOWN}/orders", headers=staff("supervisor", tenant=CITY),
                             params={"q": records[DISTRICT]})
    assert [item["number"] for item in found.json()["items"]] == [records[TOWN]]
    # The citizen's code shows the request as the province (which took it) sees it; no level below has a code.
    public = await client.get(f"/api/v1/public/orders/{details[TOWN]['query_code']}",
                              params={"phone": "13903920001"})
    assert public.status_code == 200 and public.json()["number"] == records[PROVINCE]


async def test_a_province_urge_reaches_the_town_that_holds_the_order(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int) -> None:
    records = await _handed_down(client, town_unit)
    await act(client, records[PROVINCE], "urge", staff("supervisor", tenant=PROVINCE), tenant=PROVINCE,
              reason="省督办：请加快办理")
    town = await until(client, TOWN, records[TOWN], urge_count=1)
    assert town["timeline"][-1]["actor_tenant"] == PROVINCE and town["timeline"][-1]["reason"] == "省督办：请加快办理"
    for level in (CITY, DISTRICT):
        assert (await detail(client, level, records[level]))["urge_count"] == 1


async def test_an_extension_asked_at_the_town_is_forwarded_up_and_the_granted_date_is_timed_at_every_level(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int) -> None:
    records = await _handed_down(client, town_unit)
    before = datetime.fromisoformat((await detail(client, PROVINCE, records[PROVINCE]))["handle_deadline"])
    asked = await act(client, records[TOWN], "extend", staff("handler", tenant=TOWN, unit=town_unit), tenant=TOWN,
                      days=5, reason="需协调供电公司")
    assert "approve-extension" not in asked["allowed_actions"]  # the handler does not decide its own request
    # The town approves it, but the date passes the town's own limit: each level forwards it up in turn.
    for level in (TOWN, DISTRICT, CITY):
        await until(client, level, records[level], pending_extension=_pending_here)
        forwarded = await act(client, records[level], "approve-extension", staff("dispatcher", tenant=level),
                              tenant=level, approved=True)
        assert forwarded["pending_extension"]["forwarded"] is True
        assert datetime.fromisoformat(forwarded["handle_deadline"]) == before  # not granted yet
    await until(client, PROVINCE, records[PROVINCE], pending_extension=_pending_here)
    granted = await act(client, records[PROVINCE], "approve-extension", staff("reviewer", tenant=PROVINCE),
                        tenant=PROVINCE, approved=True)
    granted_until = datetime.fromisoformat(granted["handle_deadline"])
    assert granted_until > before and granted["pending_extension"] is None
    for level in (CITY, DISTRICT, TOWN):
        record = await until(client, level, records[level], pending_extension=None)
        assert datetime.fromisoformat(record["handle_deadline"]) == granted_until


def _pending_here(pending: dict[str, Any] | None) -> bool:
    """An extension request waits for this level's decision."""
    return pending is not None and not pending.get("forwarded")


async def test_a_rejection_at_the_province_goes_back_to_the_towns_unit_keeping_the_time_limit(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int) -> None:
    records = await _handed_down(client, town_unit)
    deadline = (await detail(client, TOWN, records[TOWN]))["handle_deadline"]
    await _replied_up(client, records, town_unit, "已处理")
    await act(client, records[PROVINCE], "reject", staff("reviewer", tenant=PROVINCE), tenant=PROVINCE,
              reason="答复未说明处理结果")
    town = await until(client, TOWN, records[TOWN], status="signed")
    assert town["reopen_count"] == 0 and town["handle_deadline"] == deadline
    assert town["lead_unit_id"] == town_unit and town["timeline"][-1]["action"] == "reject"
    handler = staff("handler", tenant=TOWN, unit=town_unit)
    assert "reply" in (await _detail_as(client, TOWN, records[TOWN], handler))["allowed_actions"]
    for level in (PROVINCE, CITY, DISTRICT):
        record = await detail(client, level, records[level])
        assert (record["status"], record["reopen_count"]) == ("signed", 0)
        assert {"sign", "reply"}.isdisjoint(record["allowed_actions"])  # a child level holds it


async def _detail_as(client: httpx.AsyncClient, tenant: str, number: str, who: Any) -> dict[str, Any]:
    return (await client.get(f"/api/v1/tenants/{tenant}/orders/{number}", headers=who)).json()  # type: ignore[no-any-return]


async def test_an_unsatisfied_citizen_sends_the_order_back_to_the_town_and_every_level_is_rated(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int) -> None:
    records = await _handed_down(client, town_unit)
    await _replied_up(client, records, town_unit, "已处理")
    await _closed_at_the_province(client, records)
    await act(client, records[PROVINCE], "revisit", staff("caller", tenant=PROVINCE), tenant=PROVINCE,
              satisfaction="unsatisfied", note="问题仍未解决")
    town = await until(client, TOWN, records[TOWN], status="signed", reopen_count=1, satisfaction="unsatisfied")
    province = await detail(client, PROVINCE, records[PROVINCE])
    assert town["handle_deadline"] == province["handle_deadline"]  # the rework's own time limit, everywhere
    for level in (CITY, DISTRICT):
        record = await detail(client, level, records[level])
        assert (record["status"], record["reopen_count"], record["satisfaction"]) == ("signed", 1, "unsatisfied")

    await _replied_up(client, records, town_unit, "已更换破损水管并回访确认")
    await _closed_at_the_province(client, records)
    await act(client, records[PROVINCE], "revisit", staff("caller", tenant=PROVINCE), tenant=PROVINCE,
              satisfaction="satisfied")
    await until(client, TOWN, records[TOWN], satisfaction="satisfied")
    for level in (CITY, DISTRICT):
        assert (await detail(client, level, records[level]))["satisfaction"] == "satisfied"


async def test_a_district_answering_directly_replies_to_the_city(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    created = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=staff("operator", tenant=CITY),
                                json=intake(type="consultation"))
    number = created.json()["number"]
    await act(client, number, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=DISTRICT)
    below = await record_at(client, DISTRICT, number)
    await act(client, below, "answer", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT,
              content="已电话告知办理流程")  # 直办, without signing first
    city = await until(client, CITY, number, status="replied")
    lead = next(a for a in city["assignments"] if a["role"] == "lead")
    assert (lead["tenant_code"], lead["reply"]) == (DISTRICT, "已电话告知办理流程")
    assert [e["action"] for e in city["timeline"] if e["actor_tenant"] == DISTRICT] == ["sign", "reply"]


async def test_after_the_journeys_every_level_agrees(client: httpx.AsyncClient,
                                                     worker: subprocess.Popen[bytes]) -> None:
    federation_is_clean()


async def test_personal_data_travels_only_to_the_levels_that_work_on_the_order(tree: Settings) -> None:
    citizen = intake()["citizen"]
    with psycopg.connect(tree.postgres_url) as conn:  # every message and fact the journeys above sent
        sent = conn.execute("SELECT kind, payload::text FROM public.outbox").fetchall()
    kinds = {kind for kind, _ in sent}
    assert {"dispatch", "urge", "rework", "rated", "signed", "replied", "extension-request", "fact"} <= kinds
    for kind, payload in sent:
        carries = citizen["phone"] in payload or citizen["name"] in payload
        assert carries == (kind == "dispatch"), (kind, payload)
