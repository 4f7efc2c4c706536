"""The first API: tenants with parent and children, tenant resolution, JSON errors, probes."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import text

from embedded.process import free_port
from infra.db import Database
from infra.settings import Settings
from tests.orders_helpers import staff

CITY = "4105"  # 安阳市
CITIES = (CITY,)





PROVINCE_SUPERVISOR = staff("supervisor", tenant="41")


@pytest.fixture(scope="module")
async def client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The module's client, signed in as the province's supervisor (who reads the whole tree)."""
    client.headers.update(PROVINCE_SUPERVISOR)
    return client


async def test_a_city_comes_with_its_parent_and_its_districts(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["level"], body["path"]) == (CITY, "安阳市", "city", "41/4105")
    assert body["parent"] == {"code": "41", "name": "河南省", "level": "province"}
    children = {c["code"]: c for c in body["children"]}
    assert "410502" in children and children["410502"]["level"] == "district"
    assert all(c.startswith(CITY) and len(c) == 6 for c in children)
    assert body["descendant_counts"]["district"] == len(children)
    assert body["descendant_counts"]["town"] > 0


async def test_a_town_lists_its_ancestors_up_to_the_province(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tenants/410502001")
    body = response.json()
    assert [a["code"] for a in body["ancestors"]] == ["41", "4105", "410502"]
    assert body["children"] == [] and body["descendant_counts"] == {}


async def test_the_province_shows_only_the_imported_city(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/tenants/41")).json()
    assert body["parent"] is None
    assert [c["code"] for c in body["children"]] == [CITY]


async def test_an_unknown_code_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tenants/4199")
    assert response.status_code == 404
    assert response.json() == {"error": "tenant_not_found", "detail": "there is no tenant 4199",
                               "params": {"code": "4199"}}


@pytest.mark.parametrize("code", ["41x", "4", "123", "41;DROP", "t_41", "4105%25"])
async def test_a_malformed_code_is_a_json_400(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/v1/tenants/{code}")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant_code"


async def test_an_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_a_provisioning_tenant_is_not_served(client: httpx.AsyncClient, tree: Settings) -> None:
    db = Database(tree)
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE tenants SET status = 'provisioning' WHERE code = '410503'"))
    try:
        response = await client.get("/api/v1/tenants/410503")
        assert response.status_code == 503
        assert response.json()["error"] == "tenant_not_ready"
        assert response.headers["Retry-After"] == "2"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE tenants SET status = 'active' WHERE code = '410503'"))
        await db.dispose()


async def test_a_tenant_session_reads_and_writes_only_its_own_schema(tree: Settings) -> None:
    db = Database(tree)
    try:
        for code in ("410502", "410503"):
            async with db.tenant_session(f"t_{code}") as session:
                await session.execute(
                    text("INSERT INTO t_" + code + ".units (code, name, kind) VALUES (:c, :n, 'department')"),
                    {"c": f"water-{code}", "n": "水务局"},
                )
                await session.commit()
        from sqlalchemy import select

        from tests.tenant_tables import units

        async with db.tenant_session("t_410502") as session:
            codes = (await session.scalars(select(units.c.code))).all()
        assert codes == ["water-410502"]
    finally:
        await db.dispose()


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_when_postgres_and_nats_answer(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 10
    while True:
        response = await client.get("/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "nats": "ok"}


async def test_not_ready_when_nats_does_not_answer(tree: Settings, make_client) -> None:
    client = await make_client(tree.model_copy(update={"nats_url": f"nats://127.0.0.1:{free_port()}"}))
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"postgres": "ok", "nats": "down"}
    assert body["error"] == "not_ready"


async def test_a_database_that_does_not_answer_gives_503_not_500(tree: Settings, make_client) -> None:
    down = f"postgresql://hotline@127.0.0.1:{free_port()}/hotline"
    client = await make_client(tree.model_copy(update={"database_url": down}))
    response = await client.get(f"/api/v1/tenants/{CITY}", headers=PROVINCE_SUPERVISOR)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["postgres"] == "down"


async def test_openapi_documents_the_tenant_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/tenants/{code}" in spec["paths"]
    assert {"400", "404"} <= set(spec["paths"]["/api/v1/tenants/{code}"]["get"]["responses"])


async def test_descendants_of_a_district_are_its_towns_in_order(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tenants/410502/descendants")
    codes = [t["code"] for t in response.json()]
    assert codes and codes == sorted(codes)
    assert all(code.startswith("410502") and len(code) == 9 for code in codes)


async def test_descendants_can_be_limited_to_one_level(client: httpx.AsyncClient) -> None:
    everything = (await client.get(f"/api/v1/tenants/{CITY}/descendants")).json()
    towns = (await client.get(f"/api/v1/tenants/{CITY}/descendants", params={"level": "town"})).json()
    assert {t["level"] for t in everything} == {"district", "town"}
    assert {t["level"] for t in towns} == {"town"}
    assert len(towns) == sum(1 for t in everything if t["level"] == "town")


async def test_an_unknown_level_is_a_field_error(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/descendants", params={"level": "village"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error" and body["fields"][0]["field"] == "level"
