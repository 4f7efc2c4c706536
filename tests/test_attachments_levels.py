"""A town's reply photo climbs with its reply (real worker, real NATS): the district's and the city's reviewers
each read it from their own record, the bytes stored once."""

from __future__ import annotations

import subprocess
from itertools import pairwise

import httpx
import psycopg
import pytest

from infra.settings import Settings
from tests.orders_helpers import act, detail, intake, record_at, staff, until

CITY, DISTRICT, TOWN = "4106", "410611", "410611001"  # 鹤壁 → 淇滨区 → 金山街道
CHAIN = (CITY, DISTRICT, TOWN)
CITIES = (CITY,)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x02" * 300 + b"\xff\xd9"


@pytest.fixture(scope="module")
async def town_unit(client: httpx.AsyncClient) -> int:
    response = await client.post(f"/api/v1/tenants/{TOWN}/units", headers=staff("admin", tenant=TOWN),
                                 json={"code": "service", "name": "金山街道便民服务中心", "kind": "department"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _handed_down(client: httpx.AsyncClient, town_unit: int) -> dict[str, str]:
    created = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=staff("operator", tenant=CITY),
                                json=intake(division_code=TOWN))
    assert created.status_code == 201, created.text
    records = {CITY: created.json()["number"]}
    for upper, lower in pairwise(CHAIN):
        await act(client, records[upper], "dispatch", staff("dispatcher", tenant=upper), tenant=upper, to=lower)
        records[lower] = await record_at(client, lower, records[CITY])
        await act(client, records[lower], "sign", staff("dispatcher", tenant=lower), tenant=lower)
    await act(client, records[TOWN], "dispatch", staff("dispatcher", tenant=TOWN), tenant=TOWN, to=town_unit)
    await act(client, records[TOWN], "sign", staff("handler", tenant=TOWN, unit=town_unit), tenant=TOWN)
    return records


async def test_a_towns_reply_photo_is_read_by_the_district_and_city_reviewers(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], town_unit: int, tree: Settings) -> None:
    records = await _handed_down(client, town_unit)
    town_handler = staff("handler", tenant=TOWN, unit=town_unit)
    uploaded = await client.post(f"/api/v1/tenants/{TOWN}/orders/{records[TOWN]}/attachments", headers=town_handler,
                                 files={"file": ("整改后.jpg", JPEG, "image/jpeg")})
    assert uploaded.status_code == 201, uploaded.text
    await act(client, records[TOWN], "reply", town_handler, tenant=TOWN, content="路灯已修复。",
              attachment_ids=[uploaded.json()["id"]])
    for level in (TOWN, DISTRICT):
        await until(client, level, records[level], status="replied")
        await act(client, records[level], "approve", staff("reviewer", tenant=level), tenant=level)
        await act(client, records[level], "close", staff("reviewer", tenant=level), tenant=level)
    await until(client, CITY, records[CITY], status="replied")
    for level in (DISTRICT, CITY):
        record = await detail(client, level, records[level], role="reviewer")
        (photo,) = record["attachments"]
        assert photo["file_name"] == "整改后.jpg" and photo["from_tenant"] == (TOWN if level == DISTRICT else DISTRICT)
        assert photo["sha256"] == uploaded.json()["sha256"]
        reply = [e for e in record["timeline"] if e["action"] == "reply"][-1]
        assert reply["payload"]["attachment_ids"] == [photo["id"]]
        served = await client.get(photo["url"], headers=staff("reviewer", tenant=level))
        assert served.status_code == 200 and served.content == JPEG
    with psycopg.connect(tree.postgres_url) as conn:
        stored = conn.execute("SELECT count(*) FROM public.attachment_blobs WHERE sha256 = %s",
                              (uploaded.json()["sha256"],)).fetchone()
    assert stored == (1,)
