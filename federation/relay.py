"""The outbox relay (中继): publishes what the steps wrote to the outbox.

Relay: takes unpublished outbox rows, publishes each with its message id as ``Nats-Msg-Id``
(JetStream drops a duplicate within the stream's duplicate window, so a pass is safe even if two
relays overlap), waits for the acks, marks the rows published (with its next read). If NATS is
down nothing is marked and the rows wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from federation.outage import Outage
from federation.packs import packs
from federation.subjects import Namespace

log = logging.getLogger(__name__)

# How long the relay waits for JetStream to store what it published (and to take more, if too many wait).
PUBLISH_TIMEOUT_S = 5.0

# Marks the previous pass's rows published and reads the next ones, in one round trip. The UPDATE's
# rows are not visible to the SELECT of the same statement (one snapshot), hence ``<> ALL``. Facts only
# if $3: ``(kind = 'fact') <= $3`` is a range of the index ``ix_outbox_unpublished`` (kind = 'fact', id),
# so a pass without facts does not read the facts waiting, and rows come in the order they are sent.
_RELAY_PASS = (
    "WITH marked AS (UPDATE public.outbox SET published_at = now(), attempts = attempts + 1 "
    "WHERE id = ANY($2::bigint[])) "
    "SELECT id, message_id, subject, payload::text, kind = 'fact' FROM public.outbox "
    "WHERE published_at IS NULL AND (kind = 'fact') <= $3 AND id <> ALL($2::bigint[]) "
    "ORDER BY kind = 'fact', id LIMIT $1")
# Assessment facts go at most this often, so that more gather in each pack: the read model may lag a
# moment, a dispatch may not (federation messages go in every pass).
FACTS_GATHER_S = 0.1


class Relay:
    """Publishes outbox rows to JetStream, in passes.

    Runs on the relay lease's own connection, outside any transaction: one round trip a pass. The rows
    a pass published are marked by the statement that opens the next pass, which follows at once (``pending``
    says so): under load that pass has new rows to read, and the mark costs nothing extra. Rows published
    but not yet marked when a relay dies (or loses its lease) are published again by the next relay;
    JetStream drops the second copy by its message id. Without row locks, two relays overlapping for a
    moment cost the same: a wasted publish.

    Federation messages go first, in outbox order; assessment facts (order does not matter to them)
    follow, packed up to a few hundred to a NATS message (``federation/packs.py``), and only in a pass
    ``facts_gather_s`` or more after the last one that took facts: under load a pass comes every few
    milliseconds, and a pack of one or two facts would cost as much as a pack of a hundred. All are
    sent at once and their acks awaited together: one connection writes them in the order sent, so
    JetStream stores each stream's messages in outbox order.
    """

    def __init__(self, js: JetStreamContext, namespace: Namespace, batch: int = 500,
                 facts_gather_s: float = FACTS_GATHER_S) -> None:
        self.js, self.namespace, self.batch, self.facts_gather_s = js, namespace, batch, facts_gather_s
        self._unmarked: list[int] = []
        self._facts_taken_at = -facts_gather_s
        self._facts_left = False
        self.outage = Outage("relay", log)

    @property
    def pending(self) -> bool:
        """Whether rows were published that the next pass has to mark."""
        return bool(self._unmarked)

    def facts_due_in(self) -> float | None:
        """Seconds until a pass may take the facts the last pass left, or None if it left none."""
        if not self._facts_left:
            return None
        return max(0.0, self._facts_taken_at + self.facts_gather_s - time.monotonic())

    async def run_once(self, conn: asyncpg.Connection) -> int:
        """Mark what the last pass published, publish up to ``batch`` more rows; returns how many."""
        now = time.monotonic()
        with_facts = now - self._facts_taken_at >= self.facts_gather_s
        rows = await conn.fetch(_RELAY_PASS, self.batch, self._unmarked, with_facts)
        self._unmarked = []  # marked (had the statement failed, they would wait for the next pass)
        if with_facts:
            self._facts_taken_at = now
        self._facts_left = not with_facts  # there may be some: a pass soon takes them
        messages = [row for row in rows if not row[4]]
        fact_packs = packs([(i, m, s, p) for i, m, s, p, fact in rows if fact])
        results = await self._publish_all([(m, s, p) for _, m, s, p, _ in messages] +
                                          [(pack.message_id, pack.subject, pack.body) for pack in fact_packs])
        published: list[int] = []
        for row, result in zip(messages, results, strict=False):  # messages: only up to a failure
            if result is not None:
                break
            published.append(row[0])
        for pack, result in zip(fact_packs, results[len(messages):], strict=True):
            if result is None:
                published += pack.outbox_ids
        self._unmarked = published
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:  # NATS down or slow: the rest waits for the next round
            sent = set(published)
            first_unsent = next(row[0] for row in rows if row[0] not in sent)
            await conn.execute("UPDATE public.outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
                               str(failed)[:500], first_unsent)
            self.outage.failed(f"{len(published)} of {len(rows)} sent: {failed}")
        else:
            self.outage.worked()
        return len(published)

    async def _publish_all(self, sends: list[tuple[Any, str, str]]) -> list[BaseException | None]:
        """Publish (message id, subject, payload) each, all at once, and await JetStream's acks together:
        for each, None if it was stored, or what went wrong. Once one cannot be sent, none after it is.

        ``publish_async``: a future per message, where ``publish`` costs a task, a request and a timer each;
        per message published, 25–30 µs of the worker's CPU instead of 35–82 (docs/benchmarks/dispatch.md).
        """
        acks: list[asyncio.Future[Any]] = []
        failed: BaseException | None = None
        for message_id, subject_, payload in sends:
            try:
                # The payload is the row's JSON text as PostgreSQL prints it: published as it is, not re-encoded.
                # No wait_stall (it costs a task per message): a pass has at most ``batch`` acks outstanding, far
                # fewer than nats-py's limit, and they are all settled before the pass returns.
                acks.append(await self.js.publish_async(self.namespace.wire(subject_), payload.encode(),
                                                        headers={"Nats-Msg-Id": str(message_id)}))
            except Exception as exc:  # NATS closed: the rest waits for the next pass
                failed = exc
                break
        if acks:
            _, late = await asyncio.wait(acks, timeout=PUBLISH_TIMEOUT_S)
            for ack in late:
                ack.cancel()
        results: list[BaseException | None] = [
            TimeoutError("no ack from JetStream") if ack.cancelled() else ack.exception() for ack in acks]
        return results + [failed or RuntimeError("not sent")] * (len(sends) - len(acks))
