"""Shared pieces of the work-order tests: a city with units, staff headers, intake and actions."""

from __future__ import annotations

from typing import Any

import httpx

from tests.identity import StaffHeaders

CITY = "4106"  # 鹤壁市
DISTRICT = "410602"
OTHER_CITY = "4105"


def staff(role: str, *, tenant: str = CITY, unit: int | None = None) -> StaffHeaders:
    """Headers carrying a real Keycloak token of a person with one role in a tenant (and unit)."""
    return StaffHeaders(role, tenant, unit)


OPERATOR = staff("operator")
DISPATCHER = staff("dispatcher")
REVIEWER = staff("reviewer")
CALLER = staff("caller")
SUPERVISOR = staff("supervisor")
ADMIN = staff("admin")


def intake(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone", "type": "complaint", "category": "0101",
        "title": "淇滨区某小区楼顶漏水", "content": "小区3号楼顶层住户反映连续下雨后楼顶漏水严重，物业推诿不处理。",
        "address": "鹤壁市淇滨区黄河路88号", "division_code": "410611",
        "citizen": {"name": "王小明", "phone": "13903920001", "anonymous": False, "callback": True},
        "urgency": "normal",
    }
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, tenant: str = CITY, **overrides: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/tenants/{tenant}/orders", json=intake(**overrides), headers=OPERATOR)
    assert response.status_code == 201, response.text
    return response.json()


async def act(client: httpx.AsyncClient, number: str, action: str, headers: StaffHeaders,
              expect: int = 200, tenant: str = CITY, **body: Any) -> dict[str, Any]:
    """POST one action; ``expect``: the status wanted, or -1 for any 4xx."""
    response = await client.post(f"/api/v1/tenants/{tenant}/orders/{number}/{action}", json=body, headers=headers)
    if expect == -1:
        assert 400 <= response.status_code < 500, f"{action}: {response.status_code} {response.text}"
    else:
        assert response.status_code == expect, f"{action}: {response.status_code} {response.text}"
    return response.json()


async def detail(client: httpx.AsyncClient, tenant: str, number: str, role: str = "dispatcher") -> dict[str, Any]:
    """A record as a person of ``role`` at ``tenant`` reads it."""
    response = await client.get(f"/api/v1/tenants/{tenant}/orders/{number}", headers=staff(role, tenant=tenant))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def record_at(client: httpx.AsyncClient, tenant: str, number: str) -> str:
    """The number of ``tenant``'s record of the request any level's ``number`` names, once it has one."""
    from tests.workers import eventually

    async def find() -> str | None:
        listing = await client.get(f"/api/v1/tenants/{tenant}/orders", headers=staff("dispatcher", tenant=tenant),
                                   params={"number": number})
        items = listing.json()["items"]
        return items[0]["number"] if items else None

    return await eventually(find)  # type: ignore[no-any-return]


async def until(client: httpx.AsyncClient, tenant: str, number: str, **wanted: Any) -> dict[str, Any]:
    """The record (as its dispatcher reads it) once every field is as wanted: a value, or a test of the value."""
    from tests.workers import eventually

    async def check() -> dict[str, Any] | None:
        found = await detail(client, tenant, number)
        return found if all(v(found[k]) if callable(v) else found[k] == v for k, v in wanted.items()) else None

    return await eventually(check)  # type: ignore[no-any-return]
