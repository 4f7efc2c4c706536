"""Names where a person reads them, through the real API, Keycloak and a worker: who is signed in (/auth/me), who
took each step (an event records its actor's name; a step another level's message made is named for that level),
and the units below that worked an order, which a level above reads by name — and nothing more of them."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from infra.db import sync_engine
from infra.settings import Settings, get_settings
from sso.realm import admin_client
from sso.users import NewUser, create_user
from tests.identity import PASSWORD, token
from tests.orders_helpers import ADMIN, CITY, OPERATOR, act, detail, record_at, register, staff, until

CITIES = (CITY,)  # 鹤壁市
DISTRICT, TOWN = "410611", "410611001"  # 淇滨区, 金山街道
OFFICE = "金山街道城市管理办公室"
OTHER_OFFICE = "金山街道平安建设办公室"  # a unit of the town that never touches the order


def person(tree: Settings, role: str, tenant: str, name: str, unit: int | None = None) -> dict[str, str]:
    """Headers of a person with a name (given_name), made in Keycloak as an admin makes one."""
    username = f"named-{role}-{tenant}-{get_settings().postgres_url.rsplit('/', 1)[-1]}".lower().replace("_", "-")
    kc = admin_client(get_settings())
    if not kc.get_users({"username": username, "exact": "true"}):
        engine = sync_engine(tree)
        try:
            create_user(kc, engine, NewUser(username, PASSWORD, tenant, [role], unit, name=name))
        finally:
            engine.dispose()
    return {"Authorization": f"Bearer {token(username)}"}


@pytest.fixture(scope="module")
async def town_units(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for code, name in (("urban", OFFICE), ("safety", OTHER_OFFICE)):
        made = await client.post(f"/api/v1/tenants/{TOWN}/units", headers=staff("admin", tenant=TOWN),
                                 json={"code": code, "name": name, "kind": "department"})
        assert made.status_code == 201, made.text
        ids[code] = made.json()["id"]
    return ids


async def test_me_names_the_person_their_level_and_their_unit(client: httpx.AsyncClient, tree: Settings) -> None:
    unit = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                             json={"code": "housing", "name": "鹤壁市住房和城乡建设局", "kind": "department"})
    assert unit.status_code == 201, unit.text
    me = (await client.get("/auth/me", headers=person(tree, "handler", CITY, "李娜", unit.json()["id"]))).json()
    assert (me["name"], me["tenant_name"], me["tenant_level"], me["unit_name"]) == (
        "李娜", "鹤壁市", "city", "鹤壁市住房和城乡建设局")
    centre = (await client.get("/auth/me", headers=OPERATOR)).json()
    assert centre["tenant_name"] == "鹤壁市" and centre["unit_name"] is None


async def test_a_step_records_its_actors_name_and_every_chain_still_verifies(client: httpx.AsyncClient,
                                                                            tree: Settings) -> None:
    named = person(tree, "operator", CITY, "王建华")
    taken = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=named, json={
        "channel": "phone", "type": "consultation", "category": "0101", "title": "咨询", "content": "咨询公积金",
        "citizen": {"name": "赵先生", "phone": "13903920099"}})
    assert taken.status_code == 201, taken.text
    registered = taken.json()["timeline"][0]
    assert (registered["actor_name"], registered["actor_tenant_name"]) == ("王建华", "鹤壁市")
    read = await detail(client, CITY, taken.json()["number"])
    assert read["timeline"][0]["actor_name"] == "王建华" and read["tenant_name"] == "鹤壁市"
    # Events with a name and events without (the citizen's web intake, the older ones) verify alike.
    web = await client.post(f"/api/v1/public/tenants/{CITY}/requests", data={
        "type": "complaint", "category": "0101", "title": "网上反映", "content": "网上反映楼道灯不亮",
        "name": "孙女士", "phone": "13903920098"})
    assert web.status_code == 201, web.text
    verified = CliRunner().invoke(cli, ["audit", "verify", "--tenant", CITY])
    assert verified.exit_code == 0 and "every chain intact" in verified.output, verified.output


async def _worked_at_the_town(client: httpx.AsyncClient, town_units: dict[str, int]) -> dict[str, Any]:
    """An order taken at the city, handed down to the district and the town, handled by the town's office and
    replied up level by level; returns the city's record as its reviewer reads it."""
    number = (await register(client))["number"]
    await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await record_at(client, DISTRICT, number)
    district = staff("dispatcher", tenant=DISTRICT)
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=TOWN)
    at_town = await record_at(client, TOWN, number)
    await act(client, at_town, "dispatch", staff("dispatcher", tenant=TOWN), tenant=TOWN, to=town_units["urban"])
    await act(client, number, "urge", staff("supervisor"), reason="请加快办理")
    handler = staff("handler", tenant=TOWN, unit=town_units["urban"])
    await act(client, at_town, "sign", handler, tenant=TOWN)
    await act(client, at_town, "reply", handler, tenant=TOWN, content="已清理堵塞的排水沟")
    for tenant, record in ((TOWN, at_town), (DISTRICT, below)):
        await until(client, tenant, record, status="replied")
        await act(client, record, "approve", staff("reviewer", tenant=tenant), tenant=tenant)
        await act(client, record, "close", staff("reviewer", tenant=tenant), tenant=tenant)
    await until(client, CITY, number, status="replied")
    return await detail(client, CITY, number, role="reviewer")


async def test_a_city_reviewer_reads_the_town_office_that_did_the_work_and_nothing_more_of_its_units(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_units: dict[str, int]) -> None:
    order = await _worked_at_the_town(client, town_units)
    office = f"{TOWN}:{town_units['urban']}"
    assert {k: v for k, v in order["unit_names"].items() if k.startswith(f"{TOWN}:")} == {office: OFFICE}
    replied = next(e for e in order["cross_level_timeline"] if e["tenant"] == TOWN and e["action"] == "reply")
    assert (replied["tenant_name"], replied["actor_unit_name"], replied["actor_tenant_name"]) == (
        "金山街道", OFFICE, "金山街道")
    handed = next(e for e in order["cross_level_timeline"] if e["tenant"] == TOWN and e["action"] == "dispatch")
    assert order["unit_names"][f"{TOWN}:{handed['payload']['to']}"] == OFFICE
    lead = next(a for a in order["assignments"] if a["role"] == "lead")
    assert (lead["tenant_code"], lead["tenant_name"]) == (DISTRICT, "淇滨区")
    assert {"4106": "鹤壁市", DISTRICT: "淇滨区", TOWN: "金山街道"}.items() <= order["tenant_names"].items()
    # The names of the units on this order's chain, nothing more: not the town's other units, not its list.
    assert OTHER_OFFICE not in json.dumps(order, ensure_ascii=False)
    listing = await client.get(f"/api/v1/tenants/{TOWN}/units", headers=staff("reviewer"))
    assert listing.status_code == 403


async def test_an_urge_relayed_from_above_is_named_for_the_level_that_sent_it(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    number = (await register(client))["number"]
    await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)
    below = await record_at(client, DISTRICT, number)
    await act(client, number, "urge", staff("supervisor"), reason="请加快办理")
    urged = await until(client, DISTRICT, below, urge_count=1)
    urge = next(e for e in urged["timeline"] if e["action"] == "urge")
    assert (urge["actor"], urge["actor_name"], urge["actor_tenant_name"]) == (f"tenant:{CITY}", "鹤壁市", "鹤壁市")
    assert (urged["origin_tenant"], urged["origin_tenant_name"]) == (CITY, "鹤壁市")
