"""Shared pieces of the federation fault tests: bursts of dispatches from the city to a district, counting what
the district holds, and reading single values."""

from __future__ import annotations

import asyncio
import time

import httpx
import psycopg

from infra.settings import Settings
from tests.orders_helpers import act, register, staff
from tests.workers import federation_is_clean, start_worker, stop_worker

DISTRICT = "410611"
OTHER_DISTRICT = "410602"  # 鹤山区
TOWN = "410611001"  # 金山街道
BURST = 25


async def burst(client: httpx.AsyncClient, n: int = BURST) -> list[str]:
    """n orders registered and dispatched to the district; their numbers."""
    numbers = []
    for _ in range(n):
        order = await register(client)
        await act(client, order["number"], "dispatch", staff("dispatcher"), to=DISTRICT)
        numbers.append(order["number"])
    return numbers


def held_below(settings: Settings, numbers: list[str]) -> dict[str, int]:
    """How many records the district holds of each of these orders."""
    with psycopg.connect(settings.postgres_url) as conn:
        rows = conn.execute(f"SELECT origin_number, count(*) FROM t_{DISTRICT}.orders WHERE origin_number = ANY(%s) "
                            "GROUP BY 1", (numbers,)).fetchall()
    counts = dict.fromkeys(numbers, 0)
    counts.update(dict(rows))
    return counts


async def all_held_once(settings: Settings, numbers: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = held_below(settings, numbers)
        if all(c == 1 for c in counts.values()):
            return
        assert all(c <= 1 for c in counts.values()), f"applied twice: {counts}"
        if time.monotonic() > deadline:
            raise AssertionError(f"not all arrived: {sum(1 for c in counts.values() if c == 0)} missing")
        await asyncio.sleep(0.2)


def clean_once_a_worker_runs() -> None:
    """`federation check` is clean once a worker has run: what waits for it lands, what it published is marked."""
    worker = start_worker()
    try:
        federation_is_clean()
    finally:
        stop_worker(worker)


def one_value(settings: Settings, sql: str, *params: object) -> object:
    with psycopg.connect(settings.postgres_url) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def dead_letters_about(settings: Settings, number: str) -> int:
    return one_value(settings, "SELECT count(*) FROM public.dead_letters WHERE payload::text LIKE %s",
                     f"%{number}%")  # type: ignore[return-value]
