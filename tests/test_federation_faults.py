"""Federation through faults: NATS down, a worker killed mid-batch, two workers racing, Postgres restarting.

Real NATS (a server of this module's own, so it can be stopped), real Postgres, real
`hotline worker` processes. After each fault every dispatch is held exactly once below and
`federation check` is clean.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from core.config import Settings, get_settings
from core.services.nats import Nats
from core.services.postgres import Postgres
from core.services.process import free_port
from federation.subjects import subject
from tests.orders_helpers import CITY, act, register, staff
from tests.services import ServiceSet
from tests.workers import federation_is_clean, start_worker, stop_worker

DISTRICT = "410611"
CITIES = (CITY,)
BURST = 25


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    settings = Settings(home=tmp_path_factory.mktemp("faults-nats"), nats_port=free_port(),
                        nats_monitor_port=free_port())
    server = Nats(settings)
    server.start()
    server.wait_healthy()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tree(tree: Settings, nats_server: Nats) -> Iterator[Settings]:
    """The module's database and API on this module's own NATS (the worker reads it from the environment)."""
    saved = os.environ.get("HOTLINE_NATS_URL")
    os.environ["HOTLINE_NATS_URL"] = nats_server.url
    get_settings.cache_clear()
    yield tree.model_copy(update={"nats_url": nats_server.url})
    if saved is None:
        os.environ.pop("HOTLINE_NATS_URL", None)
    else:
        os.environ["HOTLINE_NATS_URL"] = saved
    get_settings.cache_clear()


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



async def test_dispatches_made_while_nats_is_down_all_arrive_once(tree: Settings, client: httpx.AsyncClient,
                                                                  nats_server: Nats) -> None:
    worker = start_worker()
    try:
        nats_server.stop()
        numbers = await burst(client)
        assert all(c == 0 for c in held_below(tree, numbers).values())
        nats_server.start()
        nats_server.wait_healthy()
        await all_held_once(tree, numbers)
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_a_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client)  # queued in the outbox: no worker runs
    first = start_worker()
    deadline = time.monotonic() + 30
    while sum(held_below(tree, numbers).values()) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stop_worker(first, signal.SIGKILL)
    second = start_worker()
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(second)


async def test_two_workers_racing_apply_each_message_once(tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client)
    workers = [start_worker(), start_worker()]
    try:
        await all_held_once(tree, numbers)
        await asyncio.sleep(1)  # give a duplicate every chance to show up
        assert all(c == 1 for c in held_below(tree, numbers).values())
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        for worker in workers:
            stop_worker(worker)


async def test_a_message_that_cannot_apply_is_dead_lettered_alone_and_its_batch_still_applies(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 6)  # queued in the outbox: the worker will find them all at once
    never_held = uuid.uuid4()
    with psycopg.connect(tree.postgres_url) as conn:  # in their midst: an urge of an order the district never got
        conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                     "VALUES (%s, %s, %s, 'urge', %s)",
                     (never_held, CITY, subject("urge", f"41/{CITY}/{DISTRICT}"),
                      Jsonb({"origin_tenant": CITY, "origin_number": f"{CITY}-nowhere", "by_tenant": CITY})))
    numbers += await burst(client, 6)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        with psycopg.connect(tree.postgres_url) as conn:
            dead = conn.execute("SELECT message_id, reason FROM public.dead_letters WHERE message_id = %s",
                                (never_held,)).fetchall()
        assert len(dead) == 1 and "no record here" in dead[0][1]
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_the_api_answers_503_while_postgres_restarts_and_recovers(
        tree: Settings, client: httpx.AsyncClient, services: ServiceSet) -> None:
    pg = Postgres(services.settings)
    if not pg.embedded:
        pytest.skip("the database is not one this test started")
    supervisor = staff("supervisor", tenant="41")
    assert (await client.get(f"/api/v1/tenants/{CITY}", headers=supervisor)).status_code == 200
    pg.stop()
    try:
        down = await client.get(f"/api/v1/tenants/{CITY}", headers=supervisor)
        assert down.status_code == 503 and down.json()["error"] == "service_unavailable"
        assert (await client.get("/readyz")).status_code == 503
    finally:
        pg.start()
        pg.wait_healthy()
    deadline = time.monotonic() + 30
    while (await client.get(f"/api/v1/tenants/{CITY}", headers=supervisor)).status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover"
        await asyncio.sleep(0.2)
    worker = start_worker()
    try:
        numbers = await burst(client, 5)
        await all_held_once(tree, numbers)
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)
