"""`hotline worker`: the outbox relay and the consumers of both directions, in one process.

Several workers may run at once: relays share the outbox through row locks, consumers share a
durable consumer per direction (JetStream hands each message to one of them).
"""

from __future__ import annotations

import asyncio
import logging

from core.config import Settings
from core.db import Database
from federation.protocols import DOWN, UP
from federation.transport import Consumer, connect, ensure_streams, relay_once
from tenants.binding import RegistryCache

log = logging.getLogger(__name__)
IDLE_S = 0.05


async def run_worker(settings: Settings, stop: asyncio.Event, name: str = "hotline-worker") -> None:
    db = Database(settings)
    nc = await connect(settings.effective_nats_url, name)
    js = nc.jetstream(timeout=5)
    await ensure_streams(js)
    registry = RegistryCache()

    async def resolve(code: str):  # type: ignore[no-untyped-def]
        tenant = await registry.get(db, code)
        return tenant if tenant is not None and tenant.status == "active" else None

    consumers = [Consumer(db, js, "HOTLINE_DOWN", "appliers-down", DOWN, resolve),
                 Consumer(db, js, "HOTLINE_UP", "appliers-up", UP, resolve)]
    for consumer in consumers:
        await consumer.subscribe()

    async def relay_loop() -> None:
        while not stop.is_set():
            try:
                sent = await relay_once(db.engine, js)
            except Exception as exc:  # the database or NATS is away: try again shortly
                log.warning("relay: %s", exc)
                sent = 0
            if not sent:
                await asyncio.sleep(IDLE_S)

    async def consume_loop(consumer: Consumer) -> None:
        while not stop.is_set():
            try:
                await consumer.run_once(batch=50, timeout=0.5)
            except Exception as exc:
                log.warning("consumer %s: %s", consumer.durable, exc)
                await asyncio.sleep(0.5)

    try:
        await asyncio.gather(relay_loop(), *(consume_loop(c) for c in consumers))
    finally:
        await nc.drain()
        await db.dispose()
