"""The assessment consumer: facts from ``hotline.facts.>`` applied to the read model in batches.

Facts arrive in packs (``federation/packs.py``). A fetch's facts are applied in one transaction,
then its messages are acked; a redelivered fact finds itself already applied and changes nothing.
If a batch fails, its facts are tried one by one so that one bad fact cannot hold the others back;
a message with a fact that still fails is redelivered (its other facts, applied, are skipped then),
and once it has failed ``MAX_DELIVER`` times each failing fact is dead-lettered alone, with the
reason. A malformed fact is dead-lettered at once; a message that is no pack at all, as it is.
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
from federation.durables import bind_durable
from federation.packs import Malformed, unpack
from federation.progress import ACK_WAIT_S, reported_in_progress
from federation.subjects import DURABLES
from federation.transport import MAX_DELIVER, message_id_of

log = logging.getLogger(__name__)
DURABLE = DURABLES["facts"]
REQUIRED = ("t", "o", "s", "day", "ol", "c", "live")
GATHER_S = 0.25
Fact = tuple[uuid.UUID, dict[str, Any]]  # (its message id, its body)


def what_is_missing(fact: Any) -> str | None:
    """Why the fact cannot be counted, or None if it has what the read model needs."""
    missing = [key for key in REQUIRED if key not in fact] if isinstance(fact, dict) else list(REQUIRED)
    return f"fact without {', '.join(missing)}" if missing else None


class FactConsumer:
    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, stream: str) -> None:
        self.pool, self.js, self.stream = pool, js, stream
        self._sub: JetStreamContext.PullSubscription | None = None

    async def subscribe(self) -> None:
        config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
                                max_deliver=MAX_DELIVER, max_ack_pending=5000)
        self._sub = await bind_durable(self.js, self.stream, config)

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
        with reported_in_progress(messages):  # a big batch is not redelivered while it is applied
            handled = await self._handle(messages)
        if len(messages) < batch // 10:
            await asyncio.sleep(gather_s)
        return handled

    async def _handle(self, messages: list[Msg]) -> int:
        batch: list[tuple[Msg, list[Fact]]] = []
        for msg in messages:
            try:
                pairs = unpack(msg.data, (msg.headers or {}).get("Nats-Msg-Id"))
            except Malformed as exc:
                await self._dead_letter(msg, message_id_of(msg), None, msg.data.decode(errors="replace"), str(exc))
                await msg.ack()
                continue
            good: list[Fact] = []
            for fact_id, fact in pairs:
                problem = what_is_missing(fact)
                if problem is None:
                    good.append((fact_id, fact))
                else:
                    await self._dead_letter(msg, fact_id, fact, json.dumps(fact, ensure_ascii=False), problem)
            batch.append((msg, good))
        try:
            await self._apply([fact for _, facts in batch for _, fact in facts])
        except Exception as exc:
            log.warning("assessment batch of %d messages failed (%s): applying fact by fact", len(batch), exc)
            for msg, facts in batch:
                await self._apply_one_by_one(msg, facts)
            return len(messages)
        for msg, _ in batch:
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

    async def _apply_one_by_one(self, msg: Msg, facts: list[Fact]) -> None:
        """Each fact of the message in its own transaction; the message is acked once none fails, or
        once the failing ones are dead-lettered at its last delivery."""
        failed: list[tuple[Fact, Exception]] = []
        for fact_id, fact in facts:
            try:
                await self._apply([fact])
            except Exception as exc:
                failed.append(((fact_id, fact), exc))
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        if failed and deliveries < MAX_DELIVER:
            await msg.nak(delay=min(30, 2 ** deliveries))
            return
        for (fact_id, fact), exc in failed:
            await self._dead_letter(msg, fact_id, fact, json.dumps(fact, ensure_ascii=False),
                                    f"failed {deliveries} times: {exc}")
        await msg.ack()

    async def _dead_letter(self, msg: Msg, message_id: uuid.UUID, fact: Any, payload: str, reason: str) -> None:
        """Record the fact (or the message, ``fact`` None) in ``dead_letters``; ``hotline federation replay``
        applies a fact from there."""
        tenant = fact.get("t") if isinstance(fact, dict) and isinstance(fact.get("t"), str) else None
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO public.dead_letters (message_id, tenant_code, subject, payload, reason, deliveries) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
                message_id, tenant or msg.subject.rsplit(".", 1)[-1], msg.subject, payload, reason[:2000],
                msg.metadata.num_delivered if msg.metadata else 1)
        log.error("dead-lettered fact %s: %s", message_id, reason)
