"""Federation when messages arrive out of order or together: an urge overtaking its dispatch, a sign arriving
after the reply or after the order went elsewhere, one fetch's messages applied together, a batch waiting on a
lock, and facts travelling packed.

Real NATS (a server of this module's own), real Postgres, real `hotline worker` processes; where the order of
arrival matters, the test reorders the outbox or drives the relay and a consumer itself.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import nats.errors
import nats.js.errors
import psycopg
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from psycopg.types.json import Jsonb

from app.worker import active_tenants
from core.orders.crosslevel import DOWN
from federation.progress import ACK_WAIT_S
from federation.relay import Relay
from federation.subjects import Namespace, subject
from federation.transport import Consumer, apply_messages, connect, ensure_streams
from infra.db import Database
from infra.settings import Settings
from tests.faults_helpers import (
    DISTRICT,
    OTHER_DISTRICT,
    TOWN,
    all_held_once,
    burst,
    clean_once_a_worker_runs,
    dead_letters_about,
    one_value,
)
from tests.orders_helpers import CITY, act, register, staff
from tests.own_nats import own_nats, tree_on_own_nats  # noqa: F401 (fixtures: the module's own NATS)
from tests.workers import eventually, federation_is_clean, start_worker, stop_worker

CITIES = (CITY,)


def send_last(settings: Settings, kind: str, origin_number: str) -> None:
    """Move an unpublished message to the end of the outbox: the relay then sends the messages after it
    first, as they would arrive if another worker, or a redelivery, had held it back."""
    with psycopg.connect(settings.postgres_url) as conn:
        moved = conn.execute(
            "UPDATE public.outbox SET id = nextval(pg_get_serial_sequence('public.outbox', 'id')) "
            "WHERE kind = %s AND payload->>'origin_number' = %s AND published_at IS NULL", (kind, origin_number))
        assert moved.rowcount == 1


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
