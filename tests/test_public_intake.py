"""Public web intake (网站受理) through the real API: no sign-in, a photo kept with the order, the query code that the
citizen's lookup answers, and the per-address limit on the shared counters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from tests.orders_helpers import CITY, detail

CITIES = (CITY,)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x01" * 100 + b"\xff\xd9"
PHONE = "13903925555"


def form(**overrides: str) -> dict[str, str]:
    fields = {"type": "complaint", "category": "0101", "title": "路灯不亮",
              "content": "黄河路与淇河路口路灯连续三晚不亮。", "address": "鹤壁市淇滨区黄河路",
              "division_code": "410611", "name": "李四", "phone": PHONE}
    fields.update(overrides)
    return fields


async def submit(client: httpx.AsyncClient, photo: tuple[str, bytes, str] | None = None,
                 headers: dict[str, str] | None = None, **overrides: str) -> httpx.Response:
    files: Any = {"photo": photo} if photo else None
    return await client.post(f"/api/v1/public/tenants/{CITY}/requests", data=form(**overrides), files=files,
                             headers=headers or {})


async def test_a_citizen_submits_a_request_with_a_photo_and_finds_it_by_query_code_and_phone(
        client: httpx.AsyncClient) -> None:
    created = await submit(client, photo=("路灯.jpg", JPEG, "image/jpeg"))
    assert created.status_code == 201, created.text
    number, code = created.json()["number"], created.json()["query_code"]
    found = await client.get(f"/api/v1/public/orders/{code}", params={"phone": PHONE})
    assert found.status_code == 200 and found.json()["number"] == number
    order = await detail(client, CITY, number)
    assert order["channel"] == "web" and order["timeline"][0]["actor"] == "citizen-web"
    (photo,) = order["attachments"]
    assert photo["file_name"] == "路灯.jpg" and photo["content_type"] == "image/jpeg"
    assert photo["uploaded_by"] == "citizen-web"
    from tests.orders_helpers import DISPATCHER

    served = await client.get(photo["url"], headers=DISPATCHER)
    assert served.status_code == 200 and served.content == JPEG


async def test_a_request_without_a_photo_is_registered_too(client: httpx.AsyncClient) -> None:
    created = await submit(client, name="")
    assert created.status_code == 201, created.text
    order = await detail(client, CITY, created.json()["number"])
    assert order["attachments"] == [] and order["anonymous"] is True


async def test_a_photo_that_is_not_an_image_is_refused_415(client: httpx.AsyncClient) -> None:
    refused = await submit(client, photo=("照片.jpg", b"%PDF-1.4\n%%EOF\n", "image/jpeg"))
    assert refused.status_code == 415, refused.text
    assert refused.json()["error"] == "unsupported_file_type"


async def test_a_bad_phone_is_refused_422_naming_the_field(client: httpx.AsyncClient) -> None:
    refused = await submit(client, phone="12")
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["field"] == "phone"


async def test_the_public_categories_list_majors_and_their_minors(client: httpx.AsyncClient) -> None:
    listed = await client.get(f"/api/v1/public/tenants/{CITY}/categories")
    assert listed.status_code == 200
    items = {c["code"]: c for c in listed.json()["items"]}
    assert items["01"]["leaf"] is False and items["0101"]["parent_code"] == "01" and items["0101"]["leaf"] is True


@pytest.fixture
async def one_an_hour(tree: Settings, make_client: Callable) -> httpx.AsyncClient:  # type: ignore[type-arg]
    """The API behind a trusted proxy, one web request an hour per address."""
    return await make_client(tree.model_copy(  # type: ignore[no-any-return]
        update={"public_requests_per_hour": 1, "trusted_proxies": ["127.0.0.1/32"]}))


async def test_a_second_request_from_one_address_within_the_hour_gets_429_with_retry_after(
        one_an_hour: httpx.AsyncClient) -> None:
    citizen = {"X-Forwarded-For": "198.51.100.7"}
    assert (await submit(one_an_hour, headers=citizen)).status_code == 201
    refused = await submit(one_an_hour, headers=citizen)
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert (await submit(one_an_hour, headers={"X-Forwarded-For": "198.51.100.8"})).status_code == 201


async def test_a_refused_request_leaves_no_photo_behind(client: httpx.AsyncClient, tree: Settings) -> None:
    import hashlib

    import psycopg

    photo = JPEG + b"refused"
    refused = await submit(client, photo=("x.jpg", photo, "image/jpeg"), category="9999")
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "category"
    with psycopg.connect(tree.postgres_url) as conn:
        kept = conn.execute("SELECT count(*) FROM public.attachment_blobs WHERE sha256 = %s",
                            (hashlib.sha256(photo).hexdigest(),)).fetchone()
    assert kept == (0,)
