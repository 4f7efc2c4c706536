"""`hotline worker`: the outbox relay, the consumers of both directions, the assessment consumer and the
timer (deadlines, hot spots).

Several workers may run at once: one of them, the holder of the lease (``federation/lease.py``), relays
and applies messages; the others stand by to take over. On a 2-core machine two workers applying side by
side cost 0.6–2.5 ms more CPU per dispatch chain than one and split each fetch's batch between them: at
100 chains/s their p99 was 1.6–2.8× one worker's (docs/benchmarks/dispatch.md). Nothing depends on
the lease for correctness: a moment with two active workers (the old holder not yet noticing its loss)
applies each message once all the same (inbox), as several consumers always could.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from core.assessment.consumer import FactConsumer
from core.assessment.hotspots import detect_all
from core.categories.service import CategoryStore
from core.orders.crosslevel import DOWN, UP
from core.orders.overdue import escalate_overdue, mark_all_overdue, urge_overdue
from core.sla.service import SlaStore
from federation.lease import WorkerLease
from federation.outage import Outage
from federation.relay import Relay
from federation.retention import prune
from federation.subjects import DURABLES, Namespace
from federation.transport import Consumer, connect, ensure_streams
from infra.db import Database
from infra.settings import Settings
from tenants.binding import RegistryCache
from tenants.models import Tenant

log = logging.getLogger(__name__)
# With nothing to send, the relay waits for a NOTIFY from a committing writer, polling at most this often;
# a standby tries the lease this often, and its consumers look whether it has it.
IDLE_S = 1.0
RELAY_BATCH = 500
PRUNE_EVERY_S = 3600.0


def active_tenants(db: Database) -> Callable[[str], Awaitable[Tenant | None]]:
    """A message's receiving tenant by code, as the consumers resolve it: None unless it is active."""
    registry = RegistryCache()

    async def resolve(code: str) -> Tenant | None:
        tenant = await registry.get(db, code)
        return tenant if tenant is not None and tenant.status == "active" else None

    return resolve


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to reset on release beyond what asyncpg always does (an open transaction is rolled back):
    the worker's statements set no session state, and the default reset costs a round trip per release."""


async def run_worker(settings: Settings, stop: asyncio.Event, name: str = "hotline-worker") -> None:
    db = Database(settings)
    nc = await connect(settings, name)
    js = nc.jetstream(timeout=5)
    namespace = Namespace(settings.nats_prefix)
    await ensure_streams(js, namespace)
    resolve = active_tenants(db)
    consumers = [Consumer(db, js, namespace.stream("DOWN"), DURABLES["down"], DOWN, resolve),
                 Consumer(db, js, namespace.stream("UP"), DURABLES["up"], UP, resolve)]
    for consumer in consumers:
        await consumer.subscribe()
    # The assessment read model is written with plain asyncpg (bulk COPY), from its own small pool.
    pool = await asyncpg.create_pool(settings.postgres_url, min_size=1, max_size=2, reset=_keep_session)
    facts = FactConsumer(pool, js, namespace.stream("FACTS"))
    await facts.subscribe()

    wake = asyncio.Event()
    lease = WorkerLease(settings.postgres_url, wake)

    relay = Relay(js, namespace, RELAY_BATCH)

    async def relay_loop() -> None:
        while not stop.is_set():
            wake.clear()
            again = False
            try:
                if await lease.held():
                    await relay.run_once(lease.connection)  # logs when it starts and stops failing
                    again = relay.pending
            except Exception as exc:  # the database or NATS is away: try again shortly
                relay.outage.failed(exc)
            # Rows to mark (a full batch among them) mean the next pass at once. Otherwise every message
            # committed since this pass read the outbox has notified already (the event was cleared before the
            # pass): waiting misses none. Facts do not notify (infra/unit_of_work.py): those this pass left must not
            # wait longer than they are due, those committed since wait for a message's pass or IDLE_S.
            if not again:
                facts_due = relay.facts_due_in()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), IDLE_S if facts_due is None else min(IDLE_S, facts_due))

    async def consume_loop(consumer: Consumer) -> None:
        outage = Outage(f"consumer {consumer.durable}", log)
        while not stop.is_set():
            if not lease.holding:  # a standby (the relay loop tries the lease)
                await asyncio.sleep(IDLE_S)
                continue
            try:
                await consumer.run_once(batch=50, timeout=0.5)
            except Exception as exc:
                outage.failed(exc)
                await asyncio.sleep(0.5)
            else:
                if nc.is_connected:  # a pull that timed out while NATS was away did not work
                    outage.worked()

    async def facts_loop() -> None:
        outage = Outage("assessment consumer", log)
        while not stop.is_set():
            if not lease.holding:
                await asyncio.sleep(IDLE_S)
                continue
            try:
                await facts.run_once()
            except Exception as exc:
                outage.failed(exc)
                await asyncio.sleep(0.5)
            else:
                if nc.is_connected:
                    outage.worked()

    async def timer_loop() -> None:
        sla, categories = SlaStore(), CategoryStore()
        pruned_at = 0.0
        outage = Outage("timer", log)
        while settings.timer_interval_s > 0 and not stop.is_set():
            try:
                if settings.federation_keep_days > 0 and time.monotonic() - pruned_at >= PRUNE_EVERY_S:
                    async with pool.acquire() as conn:
                        pruned = await prune(conn, datetime.now(UTC), settings.federation_keep_days)
                    pruned_at = time.monotonic()
                    if pruned.outbox or pruned.inbox:
                        log.info("retention: %d outbox rows and %d inbox ids pruned", pruned.outbox, pruned.inbox)
                marked = await mark_all_overdue(db, sla, categories)
                urged = await urge_overdue(db, settings, sla, categories)
                escalated = await escalate_overdue(db, settings, sla, categories)
                alerts = await detect_all(pool, datetime.now(UTC))
                if marked or urged or escalated or alerts:
                    log.info("timer: %d orders overdue, %d urged, %d escalated, %d hot-spot alerts",
                             marked, urged, escalated, alerts)
                outage.worked()
            except Exception as exc:
                outage.failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.timer_interval_s)

    try:
        await asyncio.gather(relay_loop(), timer_loop(), facts_loop(), *(consume_loop(c) for c in consumers))
    finally:
        # Every handled message was acked already; close (drain can wait on idle pull subscriptions).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.flush(), 5)
        await nc.close()
        await lease.close()
        await pool.close()
        await db.dispose()
