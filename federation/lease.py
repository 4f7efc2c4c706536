"""Which worker relays the outbox and applies messages: one at a time, the holder of a session-level
advisory lock (``app.worker``: why the consumers too).

Relays that shared the outbox (through ``SKIP LOCKED``) all woke on every commit's NOTIFY, and all but
one found nothing: on a 2-core machine that was a second relay's worth of wasted passes; consumers
side by side split each batch and cost more CPU than one (``app/worker.py``). With one
worker active at a time the others stand by, trying the lock each time their relay loop comes round
(every second when idle); one relay also publishes in outbox order. The lock lives on the relay's
own connection, which also LISTENs for the outbox's NOTIFY: if the worker dies, PostgreSQL drops
the connection and the lock with it, and a standby takes over within about a second. The relay
reads and marks the outbox through this same connection, so a relay whose lease went with its
connection cannot go on working. A moment with two holders (the old one not yet noticing) costs
nothing but duplicate publishes, which JetStream drops by message id, and two consumers side by side,
which the inbox keeps to one effect per message.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from federation.outage import Outage
from infra.unit_of_work import OUTBOX_CHANNEL

log = logging.getLogger(__name__)
RELAY_LOCK = 0x12345_0001  # advisory locks are per database: one relay per deployment


class WorkerLease:
    """The right to relay and to apply messages, and the NOTIFY that wakes its holder's relay."""

    def __init__(self, postgres_url: str, wake: asyncio.Event) -> None:
        self.url, self.wake = postgres_url, wake
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self.outage = Outage("worker lease", log)  # tried every second while the database is away

    async def held(self) -> bool:
        """True if this worker relays now; tries to take the lock if nobody holds it."""
        if self._conn is None or self._conn.is_closed():
            self._held = False
            try:
                self._conn = await asyncpg.connect(self.url)
            except (OSError, asyncpg.PostgresError) as exc:
                self.outage.failed(f"no connection ({exc})")
                self._conn = None
                return False
        if not self._held:
            try:
                self._held = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK))
                if self._held:  # only the holder listens: standbys are not woken by every commit
                    await self._conn.add_listener(OUTBOX_CHANNEL, self._notified)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.outage.failed(f"check failed ({exc})")
                await self.close()
                return False
        self.outage.worked()
        return self._held

    @property
    def holding(self) -> bool:
        """Whether this worker held the lease when it last looked (``held``), and its connection is still open."""
        return self._held and self._conn is not None and not self._conn.is_closed()

    @property
    def connection(self) -> asyncpg.Connection:
        """The lease's connection, for the relay's own statements (only while ``held()``)."""
        assert self._conn is not None and self._held
        return self._conn

    def _notified(self, *_: object) -> None:
        self.wake.set()

    async def close(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn.terminate()
