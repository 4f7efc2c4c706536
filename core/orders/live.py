"""The live stream's hub (实时推送): one LISTEN connection per API process, fanned out to the people subscribed.

The notices come from the platform's own commits (``core.orders.announce``): PostgreSQL delivers them to every
listening connection at commit, whichever process committed (an API's step, or a worker applying a message from
another level). The hub opens its connection on the first subscriber and keeps it; if the connection drops (a
restart of the database, a failover) it connects again every second until it is back; what was committed
meanwhile is not replayed (the console re-reads its lists on reconnecting).

Who gets what: an ``order`` notice goes to the people of its tenant who may read orders there, and to a unit's
staff (``core.orders.visibility``) only when their unit is among the order's units; a ``call`` notice goes to
the seat it names, of its tenant, only. An ``overview`` notice (the assessment consumer changed the numbers of
some tenants, ``core.orders.announce.overview_notice``) goes to the people who may read the overview (总览) of
their own tenant — a province's supervisor included, whose tenant holds no order — when a tenant it names lies in
their subtree; each gets the codes of its own subtree only (``cut``: a code stands for its whole subtree), and at
most one such event a second (``OVERVIEW_EVERY_S``): what changed meanwhile is gathered into the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from core.orders import visibility
from core.orders.announce import LIVE_CHANNEL
from iam.actors import Actor

log = logging.getLogger(__name__)
QUEUE_SIZE = 1000  # a subscriber that falls this far behind loses notices, never blocks the others
RETRY_S = 1.0
OVERVIEW_EVERY_S = 1.0  # an overview re-reads at most this often, however busy its subtree


@dataclass(eq=False)
class Subscriber:
    """One open stream: whose, and the notices waiting to be sent to it (SSE frames)."""

    actor: Actor
    orders: bool  # may read the orders of its tenant
    overview: bool = False  # may read the overview (assessment) of its tenant and subtree
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    _touched: set[str] = field(default_factory=set)  # subtree codes gathered for the next overview event
    _cut: bool = False  # one of them stands for its whole subtree
    _last_overview: float = float("-inf")  # the loop's time of the last overview event sent
    _flush: asyncio.TimerHandle | None = None

    def wants(self, notice: dict[str, Any]) -> bool:
        """Whether this person may see the notice (see the module's docstring)."""
        if notice.get("kind") == "overview":
            return bool(self.overview and self.subtree_codes(notice.get("tenants") or (), bool(notice.get("cut"))))
        if notice.get("tenant") != self.actor.tenant:
            return False
        if notice.get("kind") == "call":
            return notice.get("seat") == self.actor.user
        if not self.orders:
            return False
        unit = visibility.scope(self.actor)
        return unit is None or unit in notice.get("unit_ids", ())

    def subtree_codes(self, codes: Any, cut: bool = False) -> set[str]:
        """The codes of an overview notice this person may hear of: those in its subtree. In a cut notice a code
        stands for its whole subtree, so one above this person's tenant stands for its own tenant."""
        own = self.actor.tenant
        found = set()
        for code in codes:
            if not isinstance(code, str):
                continue
            if code.startswith(own):
                found.add(code)
            elif cut and own.startswith(code):
                found.add(own)
        return found

    def touched(self, codes: set[str], cut: bool = False) -> None:
        """Gather an overview notice's codes; send them now, or once a second has passed since the last."""
        self._touched |= codes
        self._cut = self._cut or cut
        if self._flush is not None:
            return  # already due
        loop = asyncio.get_running_loop()
        wait = self._last_overview + OVERVIEW_EVERY_S - loop.time()
        if wait <= 0:
            self._send_overview()
        else:
            self._flush = loop.call_later(wait, self._send_overview)

    def _send_overview(self) -> None:
        self._flush = None
        if not self._touched:
            return
        self._last_overview = asyncio.get_running_loop().time()
        data = {"tenants": sorted(self._touched), "cut": self._cut}
        self._touched, self._cut = set(), False
        try:
            self.queue.put_nowait(frame("overview", data))
        except asyncio.QueueFull:
            log.warning("live stream of %s is %d notices behind: an overview notice dropped", self.actor.user,
                        QUEUE_SIZE)

    def close(self) -> None:
        """Stop what is due to be sent (the stream ended)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None


def frame(kind: str, data: dict[str, Any]) -> str:
    """One server-sent event."""
    return f"event: {kind}\ndata: {orjson.dumps(data).decode()}\n\n"


class LiveHub:
    """The process's one LISTEN connection and its subscribers."""

    def __init__(self, postgres_url: str) -> None:
        self.url = postgres_url
        self.subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._lost = asyncio.Event()

    async def subscribe(self, actor: Actor, *, orders: bool, overview: bool = False,
                        wait: float = 5.0) -> Subscriber:
        """A new subscriber; the hub's connection is started on the first, and awaited (up to ``wait`` s)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="live-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), wait)
        subscriber = Subscriber(actor, orders, overview)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        self.subscribers.discard(subscriber)

    def deliver(self, payload: str) -> None:
        """Fan one notice out to the subscribers who may see it."""
        try:
            notice = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("a live notice that is not JSON: %.200s", payload)
            return
        kind = notice.pop("kind", "order")
        if kind == "overview":  # each hears of its own subtree only, throttled
            for subscriber in self.subscribers:
                if subscriber.overview:
                    cut = bool(notice.get("cut"))
                    codes = subscriber.subtree_codes(notice.get("tenants") or (), cut)
                    if codes:
                        subscriber.touched(codes, cut)
            return
        wanted = [s for s in self.subscribers if s.wants({**notice, "kind": kind})]
        if not wanted:
            return
        text = frame(kind, notice)
        for subscriber in wanted:
            try:
                subscriber.queue.put_nowait(text)
            except asyncio.QueueFull:
                log.warning("live stream of %s is %d notices behind: one dropped", subscriber.actor.user, QUEUE_SIZE)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.deliver(payload)

    def _terminated(self, _conn: object) -> None:
        self._lost.set()

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.url)
                conn.add_termination_listener(self._terminated)
                await conn.add_listener(LIVE_CHANNEL, self._notified)
                self._lost.clear()
                self._ready.set()
                while not self._lost.is_set() and not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lost.wait(), 5)
                log.warning("the live stream's connection was lost: connecting again")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("the live stream cannot listen (%s): trying again in %s s", exc, RETRY_S)
            finally:
                self._ready.clear()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(RETRY_S)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
