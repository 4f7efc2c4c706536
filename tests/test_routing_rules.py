"""Routing rules (派单目录) through the real API: kept per tenant by its admin, their targets checked as a dispatch
checks them, one rule per category and division prefix, and the most specific one suggested."""

from __future__ import annotations

from typing import Any

import httpx

from tests.lifecycle_helpers import city_departments  # noqa: F401 (the fixture `units`)
from tests.orders_helpers import ADMIN, CITY, DISPATCHER

CITIES = (CITY,)
RULES = f"/api/v1/tenants/{CITY}/routing-rules"


async def add(client: httpx.AsyncClient, expect: int = 201, **body: Any) -> dict[str, Any]:
    response = await client.post(RULES, json=body, headers=ADMIN)
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


async def suggested(client: httpx.AsyncClient, category: str, division: str | None = None) -> Any:
    params = {"category": category, **({"division_code": division} if division else {})}
    response = await client.get(f"{RULES}/suggest", params=params, headers=DISPATCHER)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_admin_adds_a_rule_that_the_dispatcher_reads(client: httpx.AsyncClient,
                                                                units: dict[str, int]) -> None:
    made = await add(client, category="0101", division_code="410611", to=units["housing"],
                     co_handlers=[units["water"]], note="淇滨区建筑质量")
    assert made == {"id": made["id"], "category": "0101", "division_code": "410611", "division_label": "淇滨区",
                    "to": units["housing"], "to_label": "市住房和城乡建设局", "co_handlers": [units["water"]],
                    "note": "淇滨区建筑质量"}
    listed = await client.get(RULES, headers=DISPATCHER)
    assert listed.status_code == 200 and made in listed.json()


async def test_a_rule_to_a_level_below_is_labelled_with_its_name(client: httpx.AsyncClient) -> None:
    made = await add(client, category="0102", division_code="410611", to="410611")
    assert made["to"] == "410611" and made["to_label"] == "淇滨区"


async def test_the_same_category_and_division_twice_is_refused_409(client: httpx.AsyncClient,
                                                                    units: dict[str, int]) -> None:
    first = await add(client, category="0103", to=units["housing"])
    again = await add(client, expect=409, category="0103", to=units["water"])
    assert again["error"] == "routing_rule_exists" and again["existing_id"] == first["id"]


async def test_a_rule_to_no_unit_of_this_tenant_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    refused = await add(client, expect=422, category="0104", to=999999)
    assert refused["fields"][0]["field"] == "to"


async def test_a_rule_to_a_tenant_not_below_this_one_is_refused(client: httpx.AsyncClient) -> None:
    refused = await add(client, expect=422, category="0104", to="4105")
    assert refused["fields"][0]["field"] == "to"


async def test_a_rule_whose_lead_is_also_a_co_handler_is_refused(client: httpx.AsyncClient,
                                                                 units: dict[str, int]) -> None:
    refused = await add(client, expect=422, category="0104", to=units["water"], co_handlers=[units["water"]])
    assert refused["fields"][0]["field"] == "co_handlers"


async def test_a_rule_for_a_category_that_does_not_exist_is_refused(client: httpx.AsyncClient,
                                                                    units: dict[str, int]) -> None:
    refused = await add(client, expect=422, category="9999", to=units["water"])
    assert refused["fields"][0]["field"] == "category"


async def test_a_dispatcher_may_read_the_rules_but_not_write_them(client: httpx.AsyncClient,
                                                                  units: dict[str, int]) -> None:
    response = await client.post(RULES, json={"category": "0105", "to": units["water"]}, headers=DISPATCHER)
    assert response.status_code == 403


async def test_a_rule_is_changed_then_removed(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    made = await add(client, category="0106", to=units["housing"])
    changed = await client.put(f"{RULES}/{made['id']}", headers=ADMIN,
                               json={"category": "0106", "to": units["urban"], "note": "改派城管"})
    assert changed.status_code == 200 and changed.json()["to"] == units["urban"]
    assert (await client.delete(f"{RULES}/{made['id']}", headers=ADMIN)).status_code == 204
    assert made["id"] not in [r["id"] for r in (await client.get(RULES, headers=DISPATCHER)).json()]
    gone = await client.put(f"{RULES}/{made['id']}", headers=ADMIN, json={"category": "0106", "to": units["urban"]})
    assert gone.status_code == 404 and gone.json()["error"] == "routing_rule_not_found"


async def test_suggest_prefers_the_longest_division_then_the_longest_category(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    anywhere_major = await add(client, category="02", to=units["urban"])
    anywhere_minor = await add(client, category="0206", to=units["water"])
    district_major = await add(client, category="02", division_code="410611", to=units["housing"])
    district_minor = await add(client, category="0206", division_code="410611", to="410611")
    assert (await suggested(client, "0206", "410611001"))["id"] == district_minor["id"]
    assert (await suggested(client, "0201", "410611001"))["id"] == district_major["id"]
    assert (await suggested(client, "0206", "410602"))["id"] == anywhere_minor["id"]
    assert (await suggested(client, "0201"))["id"] == anywhere_major["id"]
    assert await suggested(client, "0301", "410611") is None


async def test_a_405_on_suggest_allows_only_what_suggest_serves(client: httpx.AsyncClient) -> None:
    response = await client.request("OPTIONS", f"{RULES}/suggest", headers=DISPATCHER)
    assert response.status_code == 405 and response.headers["allow"] == "GET"
