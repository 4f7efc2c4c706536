"""Attachments (附件) through the real API: uploaded by who may act on the order, typed by their content, limited in
size while they are read, served only to the order's readers, and named by a reply in its event."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from infra.settings import Settings
from tests.lifecycle_helpers import (
    city_departments,  # noqa: F401 (the fixture `units`)
    handler,
    signed_order,
)
from tests.orders_helpers import CALLER, CITY, DISPATCHER, act, detail, register

CITIES = (CITY,)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def url(number: str) -> str:
    return f"/api/v1/tenants/{CITY}/orders/{number}/attachments"


async def upload(client: httpx.AsyncClient, number: str, who, name: str = "现场.jpg",  # type: ignore[no-untyped-def]
                 data: bytes = JPEG, declared: str = "image/jpeg") -> httpx.Response:
    return await client.post(url(number), headers=who, files={"file": (name, data, declared)})


async def test_a_handlers_photo_is_uploaded_and_listed_on_the_order(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    response = await upload(client, number, handler(units))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["file_name"] == "现场.jpg" and body["content_type"] == "image/jpeg"
    assert body["size_bytes"] == len(JPEG) and len(body["sha256"]) == 64
    assert body["uploaded_by"].startswith("handler-") and body["uploaded_at"].endswith("+08:00")
    assert body["url"] == f"{url(number)}/{body['id']}"
    listed = (await detail(client, CITY, number))["attachments"]
    assert [(a["id"], a["file_name"]) for a in listed] == [(body["id"], "现场.jpg")]


async def test_an_image_is_served_inline_with_its_bytes_and_no_sniffing(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    made = (await upload(client, number, handler(units))).json()
    served = await client.get(made["url"], headers=DISPATCHER)
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["content-disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA.jpg" in served.headers["content-disposition"]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"].startswith("default-src 'none'")


async def test_a_document_is_typed_by_its_content_and_served_as_a_download(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    made = (await upload(client, number, handler(units), name="整改报告", data=docx(),
                         declared="application/octet-stream")).json()
    assert made["content_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    served = await client.get(made["url"], headers=DISPATCHER)
    assert served.status_code == 200 and served.headers["content-disposition"].startswith("attachment;")


async def test_a_file_named_as_a_photo_whose_content_is_not_an_accepted_type_is_refused_415(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    response = await upload(client, number, handler(units), name="photo.jpg", data=b"<html><script>1</script>")
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_file_type"
    assert (await detail(client, CITY, number))["attachments"] == []


async def test_a_unit_that_does_not_hold_the_order_gets_404_for_its_file(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    made = (await upload(client, number, handler(units))).json()
    other = await client.get(made["url"], headers=handler(units, "water"))
    assert other.status_code == 404 and other.json()["error"] == "order_not_found"
    assert (await client.get(made["url"], headers=handler(units))).status_code == 200


async def test_an_unknown_file_of_a_readable_order_is_404(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    response = await client.get(f"{url(number)}/999999", headers=DISPATCHER)
    assert response.status_code == 404 and response.json()["error"] == "attachment_not_found"


async def test_a_person_with_no_step_to_take_on_the_order_may_not_upload(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    response = await upload(client, number, CALLER)
    assert response.status_code == 403, response.text


async def test_a_reply_names_its_files_and_its_event_records_them(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    photo = (await upload(client, number, handler(units))).json()
    report = (await upload(client, number, handler(units), name="报告.pdf", data=PDF)).json()
    replied = await act(client, number, "reply", handler(units), content="已修复，附现场照片和报告。",
                        attachment_ids=[photo["id"], report["id"]])
    assert replied["timeline"][-1]["action"] == "reply"
    assert replied["timeline"][-1]["payload"]["attachment_ids"] == [photo["id"], report["id"]]


async def test_a_reply_naming_a_file_of_another_order_is_refused(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    first = (await signed_order(client, units))["number"]
    second = (await signed_order(client, units))["number"]
    elsewhere = (await upload(client, first, handler(units))).json()
    refused = await act(client, second, "reply", handler(units), expect=422, content="已处理",
                        attachment_ids=[elsewhere["id"]])
    assert refused["fields"][0]["field"] == "attachment_ids"


async def test_a_direct_answer_at_the_centre_records_its_files(client: httpx.AsyncClient) -> None:
    from tests.orders_helpers import OPERATOR

    number = (await register(client))["number"]
    made = (await upload(client, number, OPERATOR, name="政策.pdf", data=PDF)).json()
    answered = await act(client, number, "answer", OPERATOR, content="政策文件见附件。", attachment_ids=[made["id"]])
    assert answered["timeline"][-1]["payload"]["attachment_ids"] == [made["id"]]


@pytest.fixture
async def small_limit(tree: Settings, make_client: Callable) -> httpx.AsyncClient:  # type: ignore[type-arg]
    """The API with a 1 KiB attachment limit."""
    return await make_client(tree.model_copy(update={"attachment_max_bytes": 1024}))  # type: ignore[no-any-return]


async def test_a_file_over_the_limit_is_refused_413(
        small_limit: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(small_limit, units))["number"]
    response = await upload(small_limit, number, handler(units), data=JPEG + b"\x00" * 2048)
    assert response.status_code == 413, response.text
    assert response.json()["limit_bytes"] == 1024
    assert (await detail(small_limit, CITY, number))["attachments"] == []


async def test_an_upload_over_the_limit_is_refused_before_the_rest_of_it_is_read(
        small_limit: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(small_limit, units))["number"]
    sent = 0
    boundary = "b0undary"

    async def body() -> AsyncIterator[bytes]:  # 64 MiB if it were all read, no Content-Length
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode() + JPEG
        for _ in range(1024):
            sent += 1
            yield b"\x00" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await small_limit.post(url(number), content=body(), headers={
        **handler(units), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413, response.text
    assert sent <= 2  # the read stopped at the first chunk past the limit


async def test_an_intake_may_not_name_a_file_kept_by_the_platform(client: httpx.AsyncClient,
                                                                  units: dict[str, int]) -> None:
    """Else knowing a file's SHA-256 would be enough to read it through an order of one's own."""
    from tests.orders_helpers import OPERATOR, intake

    number = (await signed_order(client, units))["number"]
    made = (await upload(client, number, handler(units))).json()
    claimed = {"file_name": "x.jpg", "content_type": "image/jpeg", "size_bytes": len(JPEG), "sha256": made["sha256"],
               "storage_key": f"blob:{made['sha256']}"}
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", headers=OPERATOR,
                                 json=intake(attachments=[claimed]))
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "attachments"


async def test_an_upload_declaring_a_length_past_the_limit_is_refused_before_any_of_it_is_read(
        small_limit: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(small_limit, units))["number"]
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 1
            yield b"\x00" * 65536

    response = await small_limit.post(url(number), content=body(), headers={
        **handler(units), "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(64 * 65536)})
    assert response.status_code == 413, response.text
    assert sent == 0


async def test_an_order_with_the_most_files_it_may_have_takes_no_more(
        client: httpx.AsyncClient, units: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.orders.attachments.MAX_PER_ORDER", 1)
    number = (await signed_order(client, units))["number"]
    assert (await upload(client, number, handler(units))).status_code == 201
    refused = await upload(client, number, handler(units))
    assert refused.status_code == 409 and refused.json()["error"] == "too_many_attachments"
