"""Shared pieces of the cross-level tests over real NATS: the levels below the city, and reading a level's
records through the API."""

from __future__ import annotations

import httpx

from tests.orders_helpers import staff
from tests.workers import eventually

DISTRICT = "410611"
TOWN = "410611001"  # 金山街道
CO_DISTRICT = "410602"  # 鹤山区
CO_TOWN = "410602001"  # 中山北路街道


async def order_at(client: httpx.AsyncClient, tenant: str, number: str, who) -> dict:  # type: ignore[no-untyped-def]
    return (await client.get(f"/api/v1/tenants/{tenant}/orders/{number}", headers=who)).json()


async def record_held_below(client: httpx.AsyncClient, origin_number: str, tenant: str = DISTRICT) -> str:
    """The number of the record ``tenant`` holds of the order dispatched to it as ``origin_number``."""
    who = staff("dispatcher", tenant=tenant)

    async def find() -> str | None:
        items = (await client.get(f"/api/v1/tenants/{tenant}/orders", headers=who,
                                  params={"limit": 200})).json()["items"]
        for item in items:
            detail = await order_at(client, tenant, item["number"], who)
            if detail["timeline"][0]["payload"].get("origin_number") == origin_number:
                return item["number"]
        return None

    return await eventually(find)  # type: ignore[return-value]


async def status_is(client: httpx.AsyncClient, tenant: str, number: str, who, status: str) -> bool:  # type: ignore[no-untyped-def]
    return (await order_at(client, tenant, number, who))["status"] == status
