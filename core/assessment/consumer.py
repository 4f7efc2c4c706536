"""The assessment consumer: facts from ``hotline.facts.>`` applied to the read model in batches.

A batch is applied in one transaction and then acked; a redelivered fact finds itself already
applied and changes nothing. If a batch fails, its facts are tried one by one so that one bad
fact cannot hold the others back; a fact that still fails is redelivered, and dead-lettered with
the reason once it has failed ``MAX_DELIVER`` times (or at once if it is malformed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from core.assessment.store import apply_facts
from federation.transport import MAX_DELIVER

log = logging.getLogger(__name__)
DURABLE = "assessment"
REQUIRED = ("t", "o", "s", "day", "ol", "c", "live")
GATHER_S = 0.25


class Malformed(Exception):
    pass


def decode(msg: Msg) -> dict[str, Any]:
    try:
        fact = json.loads(msg.data)
    except ValueError as exc:
        raise Malformed(f"not JSON: {exc}") from None
    missing = [key for key in REQUIRED if key not in fact] if isinstance(fact, dict) else list(REQUIRED)
    if missing:
        raise Malformed(f"fact without {', '.join(missing)}")
    return fact


class FactConsumer:
    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, stream: str) -> None:
        self.pool, self.js, self.stream = pool, js, stream
        self._sub: JetStreamContext.PullSubscription | None = None

    async def subscribe(self) -> None:
        config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT, ack_wait=30,
                                max_deliver=MAX_DELIVER, max_ack_pending=5000)
        self._sub = await self.js.pull_subscribe("", durable=DURABLE, stream=self.stream, config=config)

    async def run_once(self, batch: int = 500, timeout: float = 0.5, gather_s: float = GATHER_S) -> int:
        """Fetch and apply one batch; returns how many messages were handled.

        Facts are not urgent (the read model may lag a moment) but each batch costs the same few
        statements whatever its size: after a small batch, the next waits ``gather_s`` so that more
        facts gather in the stream (not in this client, where an expired pull could strand them).
        """
        assert self._sub is not None
        try:
            messages = await self._sub.fetch(batch, timeout=timeout)
        except TimeoutError:
            return 0
        handled = await self._handle(messages)
        if len(messages) < batch // 10:
            await asyncio.sleep(gather_s)
        return handled

    async def _handle(self, messages: list[Msg]) -> int:
        good: list[tuple[Msg, dict[str, Any]]] = []
        for msg in messages:
            try:
                good.append((msg, decode(msg)))
            except Malformed as exc:
                await self._dead_letter(msg, str(exc))
        try:
            await self._apply([fact for _, fact in good])
        except Exception as exc:
            log.warning("assessment batch of %d failed (%s): applying one by one", len(good), exc)
            for msg, fact in good:
                await self._apply_one(msg, fact)
            return len(messages)
        for msg, _ in good:
            await msg.ack()
        return len(messages)

    async def _apply(self, facts: list[dict[str, Any]]) -> None:
        if not facts:
            return
        for attempt in range(3):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await apply_facts(conn, facts)
                return
            except asyncpg.DeadlockDetectedError:  # another consumer got there first: simply again
                if attempt == 2:
                    raise

    async def _apply_one(self, msg: Msg, fact: dict[str, Any]) -> None:
        try:
            await self._apply([fact])
        except Exception as exc:
            deliveries = msg.metadata.num_delivered if msg.metadata else 1
            if deliveries >= MAX_DELIVER:
                await self._dead_letter(msg, f"failed {deliveries} times: {exc}")
            else:
                await msg.nak(delay=min(30, 2 ** deliveries))
            return
        await msg.ack()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        message_id = uuid.UUID((msg.headers or {}).get("Nats-Msg-Id", str(uuid.uuid4())))
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO public.dead_letters (message_id, tenant_code, subject, payload, reason, deliveries) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
                message_id, msg.subject.rsplit(".", 1)[-1], msg.subject, msg.data.decode(errors="replace"),
                reason[:2000], msg.metadata.num_delivered if msg.metadata else 1)
        await msg.ack()
        log.error("dead-lettered fact %s: %s", message_id, reason)
