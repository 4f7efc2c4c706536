"""Federation through faults of the processes: NATS down, a worker killed mid-batch, two workers racing, a
standby taking over, the supervisor restarting a worker, PostgreSQL restarting.

Real NATS (a server of this module's own, so it can be stopped), real Postgres, real `hotline worker`
processes. After each fault every dispatch is held exactly once below and `federation check` is clean.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import nats.errors
import nats.js.errors
import psycopg
import pytest

from embedded.nats import Nats
from embedded.postgres import Postgres
from embedded.process import read_pid
from federation.subjects import Namespace
from federation.transport import connect
from infra.settings import Settings
from tests.faults_helpers import DISTRICT, all_held_once, burst, held_below
from tests.orders_helpers import CITY, staff
from tests.own_nats import own_nats, tree_on_own_nats  # noqa: F401 (fixtures: the module's own NATS)
from tests.services import ServiceSet
from tests.workers import HOTLINE, eventually, federation_is_clean, start_worker, stop_worker

CITIES = (CITY,)


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


async def test_a_standby_worker_takes_over_from_the_active_one_killed_mid_batch(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client)
    active = start_worker()  # alone, so it holds the lease (federation/lease.py): it relays and applies
    deadline = time.monotonic() + 30
    while sum(held_below(tree, numbers).values()) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    standby = start_worker()
    await asyncio.sleep(0.5)  # standing by, or still starting: either way it takes over
    stop_worker(active, signal.SIGKILL)
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()
    finally:
        stop_worker(standby)


async def test_a_worker_killed_mid_batch_is_restarted_by_the_supervisor_and_its_batch_applied_once(
        tree: Settings, client: httpx.AsyncClient, tmp_path: Path) -> None:
    numbers = await burst(client)  # queued in the outbox: no worker runs
    env = {**os.environ, "HOTLINE_HOME": str(tmp_path / "home")}
    worker_pid = tmp_path / "home" / "worker" / "pid"
    nc = await connect(tree, "test-mid-batch")
    stream = Namespace(tree.nats_prefix).stream("DOWN")

    async def in_flight() -> int:
        try:
            return (await nc.jetstream().consumer_info(stream, "appliers-down")).num_ack_pending
        except nats.js.errors.NotFoundError:  # the worker has not made its streams yet
            return 0

    # The district's records cannot be written while this lock is held: the worker's batch stops mid-way.
    holder = psycopg.connect(tree.postgres_url)
    holder.execute(f"LOCK TABLE t_{DISTRICT}.orders IN SHARE MODE")
    supervise = subprocess.Popen([HOTLINE, "supervise", "--service", "worker"], env=env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # it logs in the home
    try:
        first = await eventually(lambda: asyncio.sleep(0, read_pid(worker_pid)), timeout=60)
        await eventually(in_flight, timeout=60)  # fetched, being applied, not acked
        os.kill(first, signal.SIGKILL)
        killed_at, held_then = time.monotonic(), sum(held_below(tree, numbers).values())
        holder.commit()
        await eventually(lambda: asyncio.sleep(0, read_pid(worker_pid) not in (None, first)), timeout=60)
        replaced_at = time.monotonic()
        await all_held_once(tree, numbers)
        print(f"\nkilled with {held_then} of {len(numbers)} applied; replaced after {replaced_at - killed_at:.1f} s; "
              f"every message applied {time.monotonic() - killed_at:.1f} s after the kill")
        federation_is_clean()
    finally:
        holder.close()
        await nc.close()
        subprocess.run([HOTLINE, "down"], env=env, capture_output=True, timeout=120)  # the supervisor first
        supervise.wait(30)


def worker_connected(server: Nats) -> bool:
    """Whether a worker is connected to the server (its monitoring endpoint lists connections by name)."""
    connz = httpx.get(f"http://127.0.0.1:{server.settings.nats_monitor_port}/connz", timeout=5).json()
    return any(conn.get("name") == "hotline-worker" for conn in connz.get("connections") or [])


async def test_a_worker_logs_a_lost_nats_connection_once_not_once_a_second(
        tree: Settings, nats_server: Nats, tmp_path: Path) -> None:
    log_file = tmp_path / "worker.log"
    with open(log_file, "wb") as log:
        worker = subprocess.Popen([HOTLINE, "worker"], env=dict(os.environ), stdout=log, stderr=log,
                                  start_new_session=True)
    try:
        await eventually(lambda: asyncio.sleep(0, worker_connected(nats_server)))
        await asyncio.sleep(2)  # subscribed, its loops running
        nats_server.stop()
        await asyncio.sleep(6)  # six reconnect attempts: nats-py logged a traceback for each
        nats_server.start()
        nats_server.wait_healthy()
        await eventually(lambda: asyncio.sleep(0, "reconnected" in log_file.read_text()), timeout=60)
    finally:
        stop_worker(worker)
    lines = [line.split(" ", 2)[-1] for line in log_file.read_text().splitlines()]  # without the time
    assert "Traceback (most recent call last):" not in lines
    assert sum("disconnected from" in line for line in lines) == 1
    assert sum("reconnected to" in line for line in lines) == 1
    repeated = {line for line in lines if lines.count(line) > 1}
    assert not repeated, repeated


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
