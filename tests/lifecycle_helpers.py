"""Shared pieces of the order lifecycle tests: the city's departments (a module's fixture), their handlers, and
an order signed by one.

A test module takes the fixture by importing ``city_departments`` (pytest finds it there as ``units``).
"""

from __future__ import annotations

import httpx
import pytest

from tests.orders_helpers import ADMIN, CITY, DISPATCHER, act, register, staff


@pytest.fixture(scope="module", name="units")
async def city_departments(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for code, name in (("housing", "市住房和城乡建设局"), ("water", "市水务局"), ("urban", "市城市管理局")):
        response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                     json={"code": code, "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        ids[code] = response.json()["id"]
    return ids


def handler(units: dict[str, int], code: str = "housing") -> dict[str, str]:
    return staff("handler", unit=units[code])


async def signed_order(client: httpx.AsyncClient, units: dict[str, int], **overrides) -> dict:  # type: ignore[no-untyped-def]
    order = await register(client, **overrides)
    await act(client, order["number"], "dispatch", DISPATCHER, to=units["housing"])
    return await act(client, order["number"], "sign", handler(units))
