"""Federation through faults: NATS down, a worker killed mid-batch, two workers racing, Postgres restarting.

Real NATS (a server of this module's own, so it can be stopped), real Postgres, real
`hotline worker` processes. After each fault every dispatch is held exactly once below and
`federation check` is clean.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import nats.errors
import nats.js.errors
import psycopg
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from psycopg.types.json import Jsonb
from typer.testing import CliRunner, Result

from app.worker import active_tenants
from cli.main import app as cli
from core.orders.crosslevel import DOWN
from embedded.nats import Nats
from embedded.postgres import Postgres
from embedded.process import free_port, read_pid
from federation.progress import ACK_WAIT_S
from federation.relay import Relay
from federation.subjects import Namespace, subject
from federation.transport import Consumer, apply_messages, connect, ensure_streams
from infra.db import Database
from infra.nats_auth import embedded_credentials_file
from infra.settings import Settings, get_settings
from tests.orders_helpers import CITY, act, register, staff
from tests.services import ServiceSet
from tests.workers import HOTLINE, eventually, federation_is_clean, start_worker, stop_worker

DISTRICT = "410611"
OTHER_DISTRICT = "410602"  # 鹤山区
TOWN = "410611001"  # 金山街道
CITIES = (CITY,)
BURST = 25


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory, module_db: Settings) -> Iterator[Nats]:
    """A NATS configured as a deployment's own: its workers may touch the module's namespace alone."""
    settings = Settings(home=tmp_path_factory.mktemp("faults-nats"), nats_port=free_port(),
                        nats_monitor_port=free_port(), nats_prefix=module_db.nats_prefix)
    server = Nats(settings)
    server.start()
    server.wait_healthy()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tree(tree: Settings, nats_server: Nats) -> Iterator[Settings]:
    """The module's database and API on this module's own NATS, by URL and with its credentials file (the worker
    reads both from the environment)."""
    given = {"HOTLINE_NATS_URL": nats_server.url,
             "HOTLINE_NATS_CREDENTIALS_FILE": str(embedded_credentials_file(nats_server.settings))}
    saved = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    get_settings.cache_clear()
    yield tree.model_copy(update={"nats_url": nats_server.url,
                                  "nats_credentials_file": embedded_credentials_file(nats_server.settings)})
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
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


async def test_a_message_that_cannot_apply_is_dead_lettered_alone_and_its_batch_still_applies(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 6)  # queued in the outbox: the worker will find them all at once
    never_held = uuid.uuid4()
    with psycopg.connect(tree.postgres_url) as conn:  # in their midst: an urge that names no order
        conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                     "VALUES (%s, %s, %s, 'urge', %s)",
                     (never_held, CITY, subject("urge", f"41/{CITY}/{DISTRICT}"),
                      Jsonb({"origin_tenant": CITY, "by_tenant": CITY})))
    numbers += await burst(client, 6)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        with psycopg.connect(tree.postgres_url) as conn:
            dead = conn.execute("SELECT message_id, reason FROM public.dead_letters WHERE message_id = %s",
                                (never_held,)).fetchall()
        assert len(dead) == 1 and "malformed urge message: origin_number: Field required" in dead[0][1]
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


def send_last(settings: Settings, kind: str, origin_number: str) -> None:
    """Move an unpublished message to the end of the outbox: the relay then sends the messages after it
    first, as they would arrive if another worker, or a redelivery, had held it back."""
    with psycopg.connect(settings.postgres_url) as conn:
        moved = conn.execute(
            "UPDATE public.outbox SET id = nextval(pg_get_serial_sequence('public.outbox', 'id')) "
            "WHERE kind = %s AND payload->>'origin_number' = %s AND published_at IS NULL", (kind, origin_number))
        assert moved.rowcount == 1


async def test_a_message_whose_sender_is_not_on_the_orders_chain_is_dead_lettered_with_the_reason(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)  # 鹤壁 → 淇滨区, applied
    below = one_value(tree, f"SELECT number FROM t_{DISTRICT}.orders WHERE origin_number = %s", number)
    forged = {  # what a process on the bus might claim, and why each is refused
        "from a sibling city": ("urge", f"41/{CITY}/{DISTRICT}", {
            "origin_tenant": "4105", "origin_number": number, "by_tenant": "4105", "reason": "伪造督办"}),
        "for a person of a sibling district": ("urge", f"41/{CITY}/{DISTRICT}", {
            "origin_tenant": CITY, "origin_number": number, "by_tenant": OTHER_DISTRICT, "reason": "伪造督办"}),
        "from a district never given the order": ("replied", f"41/{CITY}", {
            "origin_number": number, "by_tenant": OTHER_DISTRICT, "number": f"{OTHER_DISTRICT}-20261202-000001",
            "content": "伪造答复"}),
        "about a record of another level": ("signed", f"41/{CITY}", {
            "origin_number": below, "by_tenant": DISTRICT, "number": below}),
    }
    ids = {why: uuid.uuid4() for why in forged}
    with psycopg.connect(tree.postgres_url) as conn:
        for why, (kind, path, payload) in forged.items():
            conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                         "VALUES (%s, %s, %s, %s, %s)", (ids[why], CITY, subject(kind, path), kind, Jsonb(payload)))
    worker = start_worker()
    try:
        def reasons() -> dict[str, str]:
            with psycopg.connect(tree.postgres_url) as conn:
                rows = conn.execute("SELECT message_id, reason FROM public.dead_letters WHERE message_id = ANY(%s)",
                                    (list(ids.values()),)).fetchall()
            return {why: reason for why, id_ in ids.items() for message_id, reason in rows if message_id == id_}

        refused = await eventually(lambda: asyncio.sleep(0, len(reasons()) == len(ids) and reasons()))
        assert refused["from a sibling city"] == f"refused urge: 4105 is not above {DISTRICT}"
        assert refused["for a person of a sibling district"] == \
            f"refused urge: {OTHER_DISTRICT} is not on the chain above {CITY}"
        assert refused["from a district never given the order"] == \
            f"refused replied: order {number} was never with {OTHER_DISTRICT}"
        assert refused["about a record of another level"] == f"refused signed: {below} is not a record of {CITY}"
        assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE number = %s", below) == 0
        assert one_value(tree, f"SELECT status FROM t_{CITY}.orders WHERE number = %s", number) == "dispatched"
    finally:
        stop_worker(worker)
        with psycopg.connect(tree.postgres_url) as conn:  # accounted for: the rest of the module starts clean
            conn.execute("DELETE FROM public.dead_letters WHERE message_id = ANY(%s)", (list(ids.values()),))
            conn.execute("DELETE FROM public.outbox WHERE message_id = ANY(%s)", (list(ids.values()),))


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


async def test_an_urge_that_overtakes_its_dispatch_is_applied_once_the_dispatch_is_there(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]
    await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)  # no worker runs: both wait
    await act(client, number, "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")
    send_last(tree, "dispatch", number)
    worker = start_worker()
    try:
        async def urged() -> bool:
            return one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE origin_number = %s",
                             number) == 1

        await eventually(urged)
        assert dead_letters_about(tree, number) == 0
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_a_dispatch_and_an_urge_fetched_together_apply_in_one_transaction(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]
    await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)  # no worker runs: both wait
    await act(client, number, "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")
    with psycopg.connect(tree.postgres_url) as conn:
        outbox = conn.execute("SELECT kind, message_id, subject, payload::text FROM public.outbox WHERE kind <> 'fact' "
                              "AND payload->>'origin_number' = %s ORDER BY id", (number,)).fetchall()
    assert [kind for kind, *_ in outbox] == ["dispatch", "urge"]
    db = Database(tree)
    try:
        # As a worker applies one fetch's messages for one tenant: the urge finds the record the dispatch
        # before it created, not yet written, in the same transaction.
        await apply_messages(db, DOWN, active_tenants(db), DISTRICT, [(m, s, p.encode()) for _, m, s, p in outbox])
    finally:
        await db.dispose()
    assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE origin_number = %s", number) == 1
    transactions = one_value(tree, f"SELECT count(DISTINCT e.xmin::text) FROM t_{DISTRICT}.order_events e JOIN "
                                   f"t_{DISTRICT}.orders o ON o.id = e.order_id WHERE o.origin_number = %s", number)
    assert transactions == 1  # the dispatch's event and the urge's
    # The relay publishes both now, delivered for the first time: the worker's hopeful path applies them, the
    # inbox's key stops that commit, and the careful path finds both applied already.
    worker = start_worker()
    try:
        federation_is_clean()  # every outbox row published, every message applied once
        assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE origin_number = %s", number) == 1
    finally:
        stop_worker(worker)


def superseded_signs(settings: Settings, number: str) -> int:
    """The district's signs in the city's timeline of ``number`` that arrived too late to change anything."""
    return int(one_value(settings, f"SELECT count(*) FROM t_{CITY}.order_events e JOIN t_{CITY}.orders o "
                                   "ON o.id = e.order_id WHERE o.number = %s AND e.action = 'sign' "
                                   "AND e.payload->>'superseded' = 'true'", number))  # type: ignore[arg-type]


async def dispatched_to_the_district(settings: Settings, client: httpx.AsyncClient) -> tuple[str, str]:
    """An order registered at the city and dispatched to the district: its number and the district's record's;
    the worker that carried it is stopped again."""
    number = (await register(client))["number"]
    worker = start_worker()
    try:
        await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT)

        async def held() -> object:
            return one_value(settings, f"SELECT number FROM t_{DISTRICT}.orders WHERE origin_number = %s", number)

        return number, str(await eventually(held))
    finally:
        stop_worker(worker)


async def test_a_sign_that_arrives_after_the_reply_is_recorded_and_does_not_undo_it(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number, below = await dispatched_to_the_district(tree, client)
    # The district signs, has a department handle it and replies up, while no worker runs.
    district, reviewer = staff("dispatcher", tenant=DISTRICT), staff("reviewer", tenant=DISTRICT)
    unit = await client.post(f"/api/v1/tenants/{DISTRICT}/units", headers=staff("admin", tenant=DISTRICT),
                             json={"code": f"u{uuid.uuid4().hex[:8]}", "name": "淇滨区城管局", "kind": "department"})
    handler = staff("handler", tenant=DISTRICT, unit=unit.json()["id"])
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=unit.json()["id"])
    await act(client, below, "sign", handler, tenant=DISTRICT)
    await act(client, below, "reply", handler, tenant=DISTRICT, content="已处理")
    await act(client, below, "approve", reviewer, tenant=DISTRICT)
    await act(client, below, "close", reviewer, tenant=DISTRICT)
    send_last(tree, "signed", number)  # the reply reaches the city first
    worker = start_worker()
    try:
        async def signed_recorded() -> bool:
            return superseded_signs(tree, number) == 1

        await eventually(signed_recorded)
        assert one_value(tree, f"SELECT status FROM t_{CITY}.orders WHERE number = %s", number) == "replied"
        assert one_value(tree, f"SELECT a.status FROM t_{CITY}.order_assignments a JOIN t_{CITY}.orders o "
                               "ON o.id = a.order_id WHERE o.number = %s AND a.tenant_code = %s", number,
                         DISTRICT) == "replied"
        assert dead_letters_about(tree, number) == 0
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_a_sign_on_its_way_up_when_the_order_was_dispatched_elsewhere_is_recorded_not_dead_lettered(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number, below = await dispatched_to_the_district(tree, client)
    # While no worker runs: the district signs, and the city, not knowing yet, dispatches it elsewhere (改派).
    await act(client, below, "sign", staff("dispatcher", tenant=DISTRICT), tenant=DISTRICT)
    await act(client, number, "dispatch", staff("dispatcher"), to=OTHER_DISTRICT)
    worker = start_worker()
    try:
        async def settled() -> bool:  # the three messages applied, each at its own tenant, in any order
            return one_value(tree, f"SELECT outcome FROM t_{DISTRICT}.orders WHERE number = %s", below) == "withdrawn" \
                and superseded_signs(tree, number) == 1 \
                and one_value(tree, f"SELECT count(*) FROM t_{OTHER_DISTRICT}.orders WHERE origin_number = %s",
                              number) == 1

        await eventually(settled)
        assert one_value(tree, f"SELECT status FROM t_{CITY}.orders WHERE number = %s", number) == "dispatched"
        assert dead_letters_about(tree, number) == 0
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_an_order_dispatched_again_to_the_same_district_is_taken_back_from_the_town_it_had_reached(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number, below = await dispatched_to_the_district(tree, client)
    district = staff("dispatcher", tenant=DISTRICT)
    # While no worker runs: the district signs and passes the order on to the town; the city, not knowing
    # yet, dispatches it again to the same district.
    await act(client, below, "sign", district, tenant=DISTRICT)
    await act(client, below, "dispatch", district, tenant=DISTRICT, to=TOWN)
    await act(client, number, "dispatch", staff("dispatcher"), to=DISTRICT, note="请重新研判")
    worker = start_worker()
    try:
        async def withdrawn_from_the_town() -> bool:
            return one_value(tree, f"SELECT outcome FROM t_{TOWN}.orders WHERE origin_number = %s",
                             below) == "withdrawn"

        await eventually(withdrawn_from_the_town)
        # The district's part starts over: with its centre again, to be signed, nothing live below it.
        assert one_value(tree, f"SELECT status FROM t_{DISTRICT}.orders WHERE number = %s", below) == "dispatched"
        assert one_value(tree, f"SELECT count(*) FROM t_{DISTRICT}.order_assignments a JOIN t_{DISTRICT}.orders o "
                               "ON o.id = a.order_id WHERE o.number = %s AND a.ended_at IS NULL", below) == 0
        await act(client, below, "sign", district, tenant=DISTRICT)
        federation_is_clean()
    finally:
        stop_worker(worker)


async def test_one_tenants_message_waiting_on_a_lock_does_not_hold_back_another_tenants_in_its_batch(
        tree: Settings, client: httpx.AsyncClient) -> None:
    urged, below = await dispatched_to_the_district(tree, client)
    # While no worker runs: an urge for the district's record, then a dispatch to another district. One fetch
    # takes both, the urge first.
    await act(client, urged, "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")
    other = (await register(client))["number"]
    await act(client, other, "dispatch", staff("dispatcher"), to=OTHER_DISTRICT)
    namespace = Namespace(tree.nats_prefix)
    nc = await connect(tree, "test-batch")
    js = nc.jetstream()
    relay_conn = await asyncpg.connect(tree.postgres_url)
    db = Database(tree)
    try:
        await Relay(js, namespace).run_once(relay_conn)
        consumer = Consumer(db, js, namespace.stream("DOWN"), "appliers-down", DOWN, active_tenants(db))
        await consumer.subscribe()
        # Someone holds the district's record: the urge's transaction waits for it.
        with psycopg.connect(tree.postgres_url) as holder:
            holder.execute(f"SELECT 1 FROM t_{DISTRICT}.orders WHERE number = %s FOR UPDATE", (below,))
            batch = asyncio.create_task(consumer.run_once(batch=50, timeout=5))

            async def held_by_the_other_district() -> object:
                return one_value(tree, f"SELECT number FROM t_{OTHER_DISTRICT}.orders WHERE origin_number = %s",
                                 other)

            await eventually(held_by_the_other_district)
            assert not batch.done()  # the urge still waits
            holder.commit()
        assert await asyncio.wait_for(batch, 30) == 2
    finally:
        await relay_conn.close()
        await nc.close()
        await db.dispose()
    assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE number = %s", below) == 1
    clean_once_a_worker_runs()  # its relay marks what the test's relay published


async def test_a_batch_applied_for_longer_than_the_ack_wait_is_not_redelivered_meanwhile(
        tree: Settings, client: httpx.AsyncClient) -> None:
    urged, below = await dispatched_to_the_district(tree, client)
    await act(client, urged, "urge", staff("supervisor", tenant="41"), reason="省督办：加快办理")  # no worker runs
    namespace = Namespace(tree.nats_prefix)
    nc = await connect(tree, "test-long-batch")
    js = nc.jetstream()
    relay_conn = await asyncpg.connect(tree.postgres_url)
    db = Database(tree)
    stream = namespace.stream("DOWN")
    try:
        await Relay(js, namespace).run_once(relay_conn)
        consumer = Consumer(db, js, stream, "appliers-down", DOWN, active_tenants(db))
        await consumer.subscribe()
        rival = await js.pull_subscribe_bind(durable="appliers-down", stream=stream)  # another worker's pull
        with psycopg.connect(tree.postgres_url) as holder:  # the urge's transaction waits for this lock
            holder.execute(f"SELECT 1 FROM t_{DISTRICT}.orders WHERE number = %s FOR UPDATE", (below,))
            batch = asyncio.create_task(consumer.run_once(batch=50, timeout=5))
            await asyncio.sleep(3 * ACK_WAIT_S)  # three ack waits: without the reports, redelivered by now
            assert not batch.done()
            with pytest.raises(nats.errors.TimeoutError):
                await rival.fetch(1, timeout=1)  # nothing was handed on
            assert (await js.consumer_info(stream, "appliers-down")).num_redelivered == 0
            holder.commit()
        assert await asyncio.wait_for(batch, 30) == 1
    finally:
        await relay_conn.close()
        await nc.close()
        await db.dispose()
    assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE number = %s", below) == 1
    clean_once_a_worker_runs()  # its relay marks what the test's relay published


async def test_a_durable_made_with_another_ack_wait_is_updated_when_a_consumer_binds(tree: Settings) -> None:
    namespace = Namespace(f"d{uuid.uuid4().hex[:8]}")  # streams of its own
    nc = await connect(tree, "test-durable", "admin")  # another namespace
    js = nc.jetstream()
    db = Database(tree)
    try:
        await ensure_streams(js, namespace)
        stream = namespace.stream("DOWN")
        await js.add_consumer(stream, ConsumerConfig(durable_name="appliers-down", ack_policy=AckPolicy.EXPLICIT,
                                                     ack_wait=30, max_deliver=8))  # as workers made it before
        await Consumer(db, js, stream, "appliers-down", DOWN, active_tenants(db)).subscribe()
        assert (await js.consumer_info(stream, "appliers-down")).config.ack_wait == ACK_WAIT_S
    finally:
        for stream in namespace.streams():
            await js.delete_stream(stream.name)
        await nc.close()
        await db.dispose()


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


async def test_messages_leave_their_stream_once_applied(tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 5)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()  # every fact applied too
    finally:
        stop_worker(worker)
    nc = await connect(tree, "test")
    try:
        js, namespace = nc.jetstream(), Namespace(tree.nats_prefix)
        left = {stream.name: (await js.stream_info(stream.name)).state.messages for stream in namespace.streams()}
    finally:
        await nc.close()
    assert left == dict.fromkeys(left, 0)


async def stored_so_far(settings: Settings) -> dict[str, int]:
    """How many messages each of the namespace's streams has ever stored (the streams made first if need be)."""
    nc = await connect(settings, "test")
    try:
        js, namespace = nc.jetstream(), Namespace(settings.nats_prefix)
        await ensure_streams(js, namespace)
        return {stream.name.rsplit("_", 1)[-1]: (await js.stream_info(stream.name)).state.last_seq
                for stream in namespace.streams()}
    finally:
        await nc.close()


async def test_the_facts_one_relay_pass_finds_travel_as_one_message(tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 6)  # queued in the outbox with their facts: no worker runs
    facts = one_value(tree, "SELECT count(*) FROM public.outbox WHERE kind = 'fact' AND published_at IS NULL")
    before = await stored_so_far(tree)
    nc = await connect(tree, "test")
    conn = await asyncpg.connect(tree.postgres_url)
    try:
        relay = Relay(nc.jetstream(), Namespace(tree.nats_prefix))
        assert await relay.run_once(conn) == len(numbers) + facts  # type: ignore[operator]
        assert await relay.run_once(conn) == 0  # marks what the first pass sent
    finally:
        await conn.close()
        await nc.close()
    after = await stored_so_far(tree)
    assert facts >= 2 * len(numbers)  # type: ignore[operator]
    assert (after["DOWN"] - before["DOWN"], after["FACTS"] - before["FACTS"]) == (len(numbers), 1)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()  # each fact of the pack applied
    finally:
        stop_worker(worker)


async def test_a_malformed_fact_is_dead_lettered_alone_and_the_facts_beside_it_count(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 3)  # queued in the outbox: the relay packs their facts with the bad one
    bad = uuid.uuid4()
    with psycopg.connect(tree.postgres_url) as conn:
        conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                     "VALUES (%s, %s, %s, 'fact', %s)", (bad, CITY, subject("fact", f"41/{CITY}"), Jsonb({"t": CITY})))
    numbers += await burst(client, 3)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()  # every other fact applied, the bad one accounted for by its dead letter
        with psycopg.connect(tree.postgres_url) as conn:
            dead = conn.execute("SELECT tenant_code, reason FROM public.dead_letters WHERE message_id = %s",
                                (bad,)).fetchall()
        assert dead == [(CITY, "fact without o, s, day, ol, c, live")]
    finally:
        stop_worker(worker)


def age(settings: Settings, days: int) -> None:
    """Everything the outbox and the inbox hold becomes ``days`` older."""
    with psycopg.connect(settings.postgres_url) as conn:
        conn.execute("UPDATE public.outbox SET created_at = created_at - make_interval(days => %s), "
                     "published_at = published_at - make_interval(days => %s)", (days, days))
        conn.execute("UPDATE public.inbox SET applied_at = applied_at - make_interval(days => %s)", (days,))


async def test_pruning_deletes_what_retention_no_longer_needs_and_keeps_what_may_still_be_sent(
        tree: Settings, client: httpx.AsyncClient) -> None:
    sent = await burst(client, 3)
    worker = start_worker()
    try:
        await all_held_once(tree, sent)
        federation_is_clean()
    finally:
        stop_worker(worker)
    waiting = await burst(client, 1)  # not published yet: no worker runs
    with psycopg.connect(tree.postgres_url) as conn:  # as if applied once already, its outbox row not yet marked
        conn.execute("INSERT INTO public.inbox (message_id, tenant_code, subject) SELECT message_id, %s, subject "
                     "FROM public.outbox WHERE published_at IS NULL AND payload->>'origin_number' = %s",
                     (DISTRICT, waiting[0]))
    age(tree, 30)

    result = subprocess.run([HOTLINE, "federation", "prune", "--keep-days", "14"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(tree.postgres_url) as conn:
        kept = conn.execute("SELECT count(*) FILTER (WHERE published_at IS NULL), count(*) FROM public.outbox"
                            ).fetchone()
        inbox = conn.execute("SELECT count(*) FROM public.inbox").fetchone()[0]
    assert kept is not None and kept[0] == kept[1] >= 1  # only what still waits to be sent
    assert inbox == 1  # the id that would stop a second application of the waiting message
    assert "pruned" in result.stdout
    with psycopg.connect(tree.postgres_url) as conn:  # it was never applied in truth: let the next worker apply it
        conn.execute("DELETE FROM public.inbox")


async def held_below_and_clean(settings: Settings, client: httpx.AsyncClient) -> str:
    """One order dispatched to the district and held there, the federation clean; no worker left running."""
    (number,) = await burst(client, 1)
    worker = start_worker()
    try:
        await all_held_once(settings, [number])
        federation_is_clean()
    finally:
        stop_worker(worker)
    return number


def check_now() -> Result:
    """`hotline federation check` with nothing given time to move on."""
    return CliRunner().invoke(cli, ["federation", "check", "--stale", "0"])


def check_as_run() -> Result:
    """`hotline federation check` as a person runs it: levels are compared at once, without waiting for a message
    to be overdue (only messages themselves are given ``--stale`` to move on)."""
    return CliRunner().invoke(cli, ["federation", "check"])


async def test_the_check_finds_an_order_closed_below_but_still_waiting_above(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    closed = (f"UPDATE t_{DISTRICT}.orders SET status = 'closed', outcome = 'returned', "
              "closed_at = now() - interval '1 minute' WHERE origin_number = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # sent back below; the message up never arrived
        conn.execute(closed, (number,))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"{CITY} {number} → {DISTRICT}: waiting for {DISTRICT}'s sign, closed at {DISTRICT}" in \
            " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'dispatched', outcome = NULL, closed_at = NULL "
                         "WHERE origin_number = %s", (number,))
    assert check_now().exit_code == 0


async def test_the_check_finds_a_record_open_below_that_the_level_above_no_longer_waits_for(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    taken_back = (f"UPDATE t_{CITY}.order_assignments a SET status = %s, "
                  f"ended_at = CASE WHEN %s = 'withdrawn' THEN now() END FROM t_{CITY}.orders o "
                  "WHERE o.id = a.order_id AND o.number = %s AND a.tenant_code = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # dispatched elsewhere above; the withdrawal never arrived
        conn.execute(taken_back, ("withdrawn", "withdrawn", number, DISTRICT))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"(of {CITY} {number}): open at {DISTRICT}, no longer with {DISTRICT} at {CITY}" in \
            " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(taken_back, ("dispatched", "dispatched", number, DISTRICT))
    assert check_now().exit_code == 0


async def test_the_check_finds_levels_timing_different_deadlines(tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    moved = f"UPDATE t_{DISTRICT}.orders SET handle_deadline = handle_deadline + %s::interval WHERE origin_number = %s"
    with psycopg.connect(tree.postgres_url) as conn:  # an extension granted above never reached the district
        conn.execute(moved, ("2 days", number))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"{CITY} {number} → {DISTRICT}: deadline" in " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(moved, ("-2 days", number))
    assert check_as_run().exit_code == 0


async def test_the_check_finds_an_order_nobody_holds(tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    lost = (f"UPDATE t_{CITY}.order_assignments a SET ended_at = %s FROM t_{CITY}.orders o "
            f"WHERE o.id = a.order_id AND o.number = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # the order says "dispatched", but nothing is assigned
        conn.execute(lost, (datetime.now(UTC), number))
        conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'closed', outcome = 'withdrawn' "
                     "WHERE origin_number = %s", (number,))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"stuck: {CITY} {number} (dispatched): nobody holds it" in " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(lost, (None, number))
            conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'dispatched', outcome = NULL "
                         "WHERE origin_number = %s", (number,))
    assert check_as_run().exit_code == 0


async def test_a_dead_letter_is_applied_once_by_a_replay_after_its_cause_is_fixed(
        tree: Settings, client: httpx.AsyncClient) -> None:
    (number,) = await burst(client, 1)  # no worker runs: the dispatch waits in the outbox
    disable = "UPDATE public.tenants SET status = %s WHERE code = %s"
    with psycopg.connect(tree.postgres_url) as conn:
        conn.execute(disable, ("disabled", DISTRICT))
    worker = start_worker()
    try:
        await eventually(lambda: asyncio.sleep(0, dead_letters_about(tree, number)))
        message_id = one_value(tree, "SELECT message_id FROM public.dead_letters WHERE payload LIKE %s",
                               f"%{number}%")
        listed = subprocess.run([HOTLINE, "federation", "dead-letters"], capture_output=True, text=True, timeout=60)
        assert str(message_id) in listed.stdout and f"no active tenant {DISTRICT}" in " ".join(listed.stdout.split())

        refused = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True, text=True,
                                 timeout=60)  # the district is still disabled
        assert refused.returncode == 1 and "still cannot apply" in refused.stderr
        assert held_below(tree, [number]) == {number: 0}

        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(disable, ("active", DISTRICT))
        for _ in range(2):  # the second time there is nothing left to replay
            replayed = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True,
                                      text=True, timeout=60)
        assert "no dead letter" in replayed.stderr
        assert held_below(tree, [number]) == {number: 1}
        assert dead_letters_about(tree, number) == 0
        federation_is_clean()
    finally:
        stop_worker(worker)
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(disable, ("active", DISTRICT))


async def test_a_dead_lettered_assessment_fact_is_applied_by_a_replay(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]  # no worker runs: its intake fact waits in the outbox
    with psycopg.connect(tree.postgres_url) as conn:  # as a consumer would have dead-lettered it after eight failures
        message_id = conn.execute(
            "WITH f AS (UPDATE public.outbox SET published_at = now() WHERE kind = 'fact' AND published_at IS NULL "
            f"AND payload->>'o' = (SELECT id::text FROM t_{CITY}.orders WHERE number = %s) RETURNING *) "
            "INSERT INTO public.dead_letters (message_id, tenant_code, subject, payload, reason, deliveries) "
            "SELECT message_id, tenant_code, %s || substr(subject, 8), payload::text, 'failed 8 times: timeout', 8 "
            "FROM f RETURNING message_id", (number, tree.nats_prefix)).fetchone()[0]
    assert check_now().exit_code == 0  # dead-lettered counts as accounted for

    replayed = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True, text=True,
                              timeout=60)
    assert replayed.returncode == 0 and f"applied {message_id}" in replayed.stdout
    assert one_value(tree, "SELECT count(*) FROM public.assess_records r WHERE r.tenant_code = %s AND r.order_id = "
                           f"(SELECT id FROM t_{CITY}.orders WHERE number = %s)", CITY, number) == 1
    assert one_value(tree, "SELECT count(*) FROM public.dead_letters WHERE message_id = %s", message_id) == 0


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
