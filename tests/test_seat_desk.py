"""The seat's desk through the API: a caller's history over the subtree, the duplicate preview, the inbox's
tabs and counts, and the citizen's phone and name masked by role."""

from __future__ import annotations

from typing import Any

import httpx

from tests.federation_helpers import DISTRICT
from tests.orders_helpers import CITY, act, register, staff

CITIES = (CITY,)


def _citizen(phone: str, name: str = "张三", **more: Any) -> dict[str, Any]:
    return {"name": name, "phone": phone, "anonymous": False, "callback": True, **more}


async def _unit(client: httpx.AsyncClient, code: str, tenant: str = CITY) -> int:
    made = await client.post(f"/api/v1/tenants/{tenant}/units", headers=staff("admin", tenant=tenant),
                             json={"code": code, "name": f"单位{code}", "kind": "department"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def _history(client: httpx.AsyncClient, tenant: str, phone: str, **params: Any) -> httpx.Response:
    return await client.get(f"/api/v1/tenants/{tenant}/callers/{phone}", params=params,
                            headers=staff("operator", tenant=tenant))


# ---- a caller's history ----------------------------------------------------------------------


async def test_a_callers_history_covers_the_subtree_newest_first_each_request_once(client: httpx.AsyncClient) -> None:
    phone = "13903925001"
    first = await register(client, citizen=_citizen(phone))
    second = await register(client, citizen=_citizen(phone))
    await act(client, second["number"], "dispatch", staff("dispatcher"), to=DISTRICT)  # a copy below: not counted
    below = await client.post(f"/api/v1/tenants/{DISTRICT}/orders", headers=staff("operator", tenant=DISTRICT),
                              json={**_intake_at(DISTRICT), "citizen": _citizen(phone)})
    assert below.status_code == 201, below.text
    found = (await _history(client, CITY, phone)).json()
    assert found["phone"] == phone and found["total"] == 3 and found["repeat"] is True
    assert [(i["tenant_code"], i["number"]) for i in found["items"]] == [
        (DISTRICT, below.json()["number"]), (CITY, second["number"]), (CITY, first["number"])]
    assert found["items"][0]["citizen_phone"] == phone  # the seat sees the number it is speaking to


async def test_a_districts_history_holds_only_its_own_subtree(client: httpx.AsyncClient) -> None:
    phone = "13903925002"
    await register(client, citizen=_citizen(phone))
    found = (await _history(client, DISTRICT, phone)).json()
    assert (found["total"], found["repeat"], found["items"]) == (0, False, [])


async def test_a_callers_history_takes_a_limit_and_a_formatted_phone(client: httpx.AsyncClient) -> None:
    phone = "13903925003"
    for _ in range(3):
        await register(client, citizen=_citizen(phone))
    found = (await _history(client, CITY, "+86 139 0392 5003", limit=2)).json()
    assert found["total"] == 3 and len(found["items"]) == 2


async def test_a_callers_history_refuses_a_malformed_phone(client: httpx.AsyncClient) -> None:
    response = await _history(client, CITY, "12345")
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "phone"


async def test_a_callers_history_is_not_for_a_units_staff(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "history")
    response = await client.get(f"/api/v1/tenants/{CITY}/callers/13903925001",
                                headers=staff("handler", unit=unit))
    assert response.status_code == 403


# ---- the duplicate preview -------------------------------------------------------------------


async def test_the_duplicate_preview_suggests_what_intake_would_and_writes_nothing(client: httpx.AsyncClient) -> None:
    kept = await register(client, title="幸福路井盖缺失", citizen=_citizen("13903925010"))
    before = await _count(client)
    response = await client.post(f"/api/v1/tenants/{CITY}/orders/duplicates", headers=staff("operator"), json={
        "phone": "13903925010", "division_code": "410611", "category": "0101", "title": "幸福路井盖缺失",
        "content": kept["title"]})
    assert response.status_code == 200, response.text
    best = response.json()["items"][0]
    assert best["number"] == kept["number"] and "same_phone" in best["reasons"] and best["score"] >= 0.45
    assert await _count(client) == before


async def test_the_duplicate_preview_of_nothing_typed_finds_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders/duplicates", headers=staff("operator"), json={})
    assert response.status_code == 200 and response.json() == {"items": []}


async def _count(client: httpx.AsyncClient) -> int:
    listing = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"limit": 200}, headers=staff("dispatcher"))
    return len(listing.json()["items"])


# ---- the inbox --------------------------------------------------------------------------------


async def _counts(client: httpx.AsyncClient, who: Any) -> dict[str, int]:
    response = await client.get(f"/api/v1/tenants/{CITY}/inbox", headers=who)
    assert response.status_code == 200, response.text
    return response.json()["counts"]  # type: ignore[no-any-return]


async def _tab(client: httpx.AsyncClient, tab: str, who: Any, **params: Any) -> list[str]:
    response = await client.get(f"/api/v1/tenants/{CITY}/inbox/{tab}", headers=who, params=params)
    assert response.status_code == 200, response.text
    return [i["number"] for i in response.json()["items"]]


async def test_a_registered_order_waits_in_the_centres_to_dispatch_tab(client: httpx.AsyncClient) -> None:
    before = await _counts(client, staff("dispatcher"))
    order = await register(client)
    after = await _counts(client, staff("dispatcher"))
    assert after["to_dispatch"] == before["to_dispatch"] + 1
    assert order["number"] in await _tab(client, "to_dispatch", staff("dispatcher"), limit=200)


async def test_a_dispatched_order_moves_to_the_units_to_sign_then_to_handle(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "inbox")
    handler = staff("handler", unit=unit)
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
    assert await _counts(client, handler) == {"to_dispatch": 0, "to_sign": 1, "to_handle": 0, "to_review": 0,
                                              "to_revisit": 0, "done": 0, "urged": 0}
    assert await _tab(client, "to_sign", handler) == [order["number"]]
    await act(client, order["number"], "sign", handler)
    counts = await _counts(client, handler)
    assert (counts["to_sign"], counts["to_handle"]) == (0, 1)
    assert await _tab(client, "to_handle", handler) == [order["number"]]


async def test_a_reply_waits_in_to_review_and_an_urged_order_in_urged(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "review")
    handler = staff("handler", unit=unit)
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
    await act(client, order["number"], "sign", handler)
    await act(client, order["number"], "urge", staff("supervisor"), reason="群众多次来电")
    assert order["number"] in await _tab(client, "urged", handler)
    await act(client, order["number"], "reply", handler, content="已处理")
    assert order["number"] in await _tab(client, "to_review", staff("reviewer"), limit=200)


async def test_a_closed_answer_waits_in_to_revisit_until_the_citizen_is_called(client: httpx.AsyncClient) -> None:
    order = await register(client)
    await act(client, order["number"], "answer", staff("operator"), content="已电话答复")
    assert order["number"] in await _tab(client, "to_revisit", staff("caller"), limit=200)
    assert order["number"] in await _tab(client, "done", staff("caller"), limit=200)
    await act(client, order["number"], "revisit", staff("caller"), satisfaction="satisfied")
    assert order["number"] not in await _tab(client, "to_revisit", staff("caller"), limit=200)


async def test_an_inbox_tab_lists_the_most_urgent_first(client: httpx.AsyncClient) -> None:
    normal = await register(client, type="complaint")
    urgent = await register(client, type="consultation")  # 2 working days, not 15
    numbers = await _tab(client, "to_dispatch", staff("dispatcher"), limit=200)
    assert numbers.index(urgent["number"]) < numbers.index(normal["number"])


async def test_the_inbox_opened_without_a_tab_shows_the_first_where_work_waits(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "auto")
    handler = staff("handler", unit=unit)
    empty = (await client.get(f"/api/v1/tenants/{CITY}/inbox/auto", headers=handler)).json()
    assert (empty["tab"], empty["items"]) == ("to_sign", [])
    order = await register(client)
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
    await act(client, order["number"], "sign", handler)
    page = (await client.get(f"/api/v1/tenants/{CITY}/inbox/auto", headers=handler)).json()
    assert page["tab"] == "to_handle" and [i["number"] for i in page["items"]] == [order["number"]]


async def test_an_unknown_inbox_tab_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/inbox/everything", headers=staff("dispatcher"))
    assert response.status_code == 404 and response.json()["error"] == "unknown_tab"


# ---- the citizen masked by role --------------------------------------------------------------


async def _read(client: httpx.AsyncClient, number: str, who: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=who)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_supervisor_sees_the_citizen_masked_and_a_caller_in_full(client: httpx.AsyncClient) -> None:
    order = await register(client, citizen=_citizen("13903925020", "李四", id_number="11010519491231002X"))
    masked = await _read(client, order["number"], staff("supervisor"))
    assert (masked["citizen_phone"], masked["citizen_name"], masked["citizen_id_number"]) == (
        "139****5020", "李*", "110105********002X")
    full = await _read(client, order["number"], staff("caller"))
    assert (full["citizen_phone"], full["citizen_name"]) == ("13903925020", "李四")


async def test_a_list_masks_the_citizen_for_an_auditor(client: httpx.AsyncClient) -> None:
    order = await register(client, citizen=_citizen("13903925021"))
    listing = await client.get(f"/api/v1/tenants/{CITY}/orders", params={"number": order["number"]},
                               headers=staff("auditor"))
    assert [i["citizen_phone"] for i in listing.json()["items"]] == ["139****5021"]


async def test_an_anonymous_citizen_is_shown_only_to_the_taking_centres_operators_and_callers(
        client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "anon")
    order = await register(client, citizen=_citizen("13903925022", anonymous=True))
    await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
    assert (await _read(client, order["number"], staff("operator")))["citizen_phone"] == "13903925022"
    assert (await _read(client, order["number"], staff("caller")))["citizen_phone"] == "13903925022"
    assert (await _read(client, order["number"], staff("handler", unit=unit)))["citizen_phone"] == "139****5022"
    assert (await _read(client, order["number"], staff("dispatcher")))["citizen_phone"] == "139****5022"


async def test_a_level_above_reading_down_sees_the_citizen_masked(client: httpx.AsyncClient) -> None:
    below = await client.post(f"/api/v1/tenants/{DISTRICT}/orders", headers=staff("operator", tenant=DISTRICT),
                              json={**_intake_at(DISTRICT), "citizen": _citizen("13903925023")})
    read = await client.get(f"/api/v1/tenants/{DISTRICT}/orders/{below.json()['number']}",
                            headers=staff("dispatcher"))
    assert read.status_code == 200 and read.json()["citizen_phone"] == "139****5023"


def _intake_at(tenant: str) -> dict[str, Any]:
    from tests.orders_helpers import intake

    return intake(division_code=tenant)


async def _pages(client: httpx.AsyncClient, tab: str, who: Any, limit: int) -> list[dict[str, Any]]:
    """Every page of a tab, following its cursor."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await client.get(f"/api/v1/tenants/{CITY}/inbox/{tab}", headers=who, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


async def test_a_units_tab_pages_its_work_by_deadline_each_order_once(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "paging")
    handler = staff("handler", unit=unit)
    numbers = []
    for kind in ("complaint", "consultation", "help", "consultation", "complaint"):
        order = await register(client, type=kind)
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
        numbers.append(order["number"])
    items = await _pages(client, "to_sign", handler, limit=2)
    assert sorted(i["number"] for i in items) == sorted(numbers)
    keys = [(i["handle_deadline"], i["number"]) for i in items]
    assert [d for d, _ in keys] == sorted(d for d, _ in keys)


async def test_an_extension_moves_the_order_down_its_units_tab(client: httpx.AsyncClient) -> None:
    unit = await _unit(client, "extended")
    handler = staff("handler", unit=unit)
    orders = [await register(client, type="help") for _ in range(3)]
    for order in orders:
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=unit)
        await act(client, order["number"], "sign", handler)
    first, *rest = [o["number"] for o in orders]
    await act(client, first, "extend", handler, days=5, reason="需协调多个部门")
    await act(client, first, "approve-extension", staff("dispatcher"), approved=True)
    # A page at a time: each page starts from the assignments' copy of the deadline, which must have followed.
    assert [i["number"] for i in await _pages(client, "to_handle", handler, limit=1)] == [*rest, first]
