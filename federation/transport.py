"""Moving messages: the streams, and the consumers that apply each message exactly once (the relay that
publishes the outbox is ``federation.relay``).

Consumer: a durable pull consumer per direction and worker role (not per tenant). For each
message, in ONE transaction: record its id in the receiver's inbox (a second delivery finds it
there and changes nothing), apply the effect; then ack. Several messages for one tenant may share
that transaction (``Consumer.run_once``).

A message delivered for the first time is applied on the hopeful path, in an optimistic unit of work
(``infra.unit_of_work``): its id goes into the inbox with the unit's closing statement, and what the
appliers read is read with its version and written only if unchanged since: three round trips fewer (the
inbox's, BEGIN, COMMIT). If it was applied before after all (a relay published it again after a crash, once
JetStream's duplicate window had passed), the inbox insert fails on its key; if an order changed
meanwhile, the version check fails; either way nothing is written, and it is handled again on the
careful path, inbox first, rows locked.

A message that can never apply is written to ``dead_letters`` with the reason and acked; a failing
one, or one that cannot apply *yet* (``NotYet``: it overtook the message it depends on), is
redelivered with a growing delay, at most MAX_DELIVER times, then dead-lettered too — never dropped
silently.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federation.durables import bind_durable
from federation.nats_log import NatsLog
from federation.packs import parse_uuid
from federation.progress import ACK_WAIT_S, reported_in_progress
from federation.pull import pull
from federation.subjects import Namespace, kind_of, receiver
from infra.db import Database
from infra.nats_auth import Role, connect_options
from infra.settings import Settings
from infra.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

MAX_DELIVER = 8
# At most this many messages in one transaction: a bigger group would hold back its first message's effect.
TOGETHER = 10
_INBOX = (
    "INSERT INTO public.inbox (message_id, tenant_code, subject) SELECT m, $2, s "
    "FROM unnest($1::uuid[], $3::text[]) AS x(m, s) ON CONFLICT DO NOTHING RETURNING message_id")
# Longer than any retry delay of the relay: a re-publish after a crash is still de-duplicated.
DUPLICATE_WINDOW_S = 2 * 3600


class PermanentError(Exception):
    """The message can never apply (unknown tenant, unknown order, malformed): dead-letter it."""


class NotYet(Exception):
    """The message cannot apply *yet* (what it is about has not arrived): redelivered later, and
    dead-lettered only if it still cannot apply at its last delivery."""


# Applies one message (its body as it travelled) to the receiving tenant, in the session's transaction; the
# message kinds and what they do are the domain's (``core/orders/crosslevel``), not the transport's.
Applier = Callable[[AsyncSession, Any, bytes, str], Awaitable[None]]


async def ensure_streams(js: JetStreamContext, namespace: Namespace) -> None:
    """The deployment's streams, created or brought up to date (a stream made before interest retention
    is switched to it: NATS allows that change in place).

    Interest retention: a message stays in its stream until the one durable consumer of the stream
    has acked it (applied, or dead-lettered), then goes. The stream holds the backlog, not the
    history, which stays in the outbox and in each tenant's event log. A stream with no consumer at
    all would drop what it is sent, so a worker creates its durable consumers (they outlive it)
    before its relay publishes anything.
    """
    for stream in namespace.streams():
        config = StreamConfig(name=stream.name, subjects=stream.subjects, storage=StorageType.FILE,
                              duplicate_window=DUPLICATE_WINDOW_S, retention=RetentionPolicy.INTEREST)
        try:
            await js.stream_info(stream.name)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)


# Tenants a consumer applies at once. Each holds a pooled connection; a batch may name dozens of tenants,
# and tasks queued on the pool past its timeout would fail and their messages come again, nearer to
# being dead-lettered for a reason that is not theirs. Two consumers stay well inside the default pool.
SIDE_BY_SIDE = 6


class Consumer:
    """Applies the messages of one stream, each once, in the receiving tenant's transaction."""

    def __init__(self, db: Database, js: JetStreamContext, stream: str, durable: str,
                 appliers: dict[str, Applier], resolve_tenant: Callable[[str], Awaitable[Any]]) -> None:
        self.db, self.js, self.stream, self.durable = db, js, stream, durable
        self.appliers = appliers
        self.resolve_tenant = resolve_tenant
        self._sub: JetStreamContext.PullSubscription | None = None
        self._side_by_side = asyncio.Semaphore(SIDE_BY_SIDE)

    async def subscribe(self) -> None:
        config = ConsumerConfig(durable_name=self.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
                                max_deliver=MAX_DELIVER, max_ack_pending=1000)
        self._sub = await bind_durable(self.js, self.stream, config)

    async def run_once(self, batch: int = 50, timeout: float = 1.0) -> int:
        """Pull one batch (``federation.pull``) and handle it; returns the number of messages handled.

        Under load a fetch brings several messages. Those for one tenant are applied together, up to
        TOGETHER at a time, in one transaction (one commit instead of one each: it is what lets the
        consumers keep up). If any of them fails, none is applied and each is handled on its own, so
        a bad message is retried or dead-lettered alone. A tenant's messages keep their order; those
        of different tenants touch different records, and their order does not matter: the tenants of a
        batch are applied side by side, each on its own connection, so that one tenant's transaction
        waiting on PostgreSQL does not hold back the next tenant's (under load a batch holds messages for
        several tenants, and the worker's own CPU is mostly idle, waiting on round trips).
        """
        assert self._sub is not None
        try:
            messages = await pull(self._sub, batch, timeout)
        except TimeoutError:
            return 0
        with reported_in_progress(messages):  # a long batch is not redelivered while it is applied
            results = await asyncio.gather(*(self._apply_in_order(groups) for groups in
                                             _groups_by_receiver(messages)), return_exceptions=True)
        # Each tenant's messages were handled as far as they could be; then the worker hears what failed (NATS
        # gone while acking, say): those messages come again.
        failed = next((result for result in results if isinstance(result, BaseException)), None)
        if failed is not None:
            raise failed
        return len(messages)

    async def _apply_in_order(self, groups: list[list[Msg]]) -> None:
        """One tenant's groups of messages, one after the other."""
        async with self._side_by_side:
            for group in groups:
                # A redelivery may well have been applied: the careful path at once, not a failed hopeful one first.
                hopeful = all(msg.metadata is not None and msg.metadata.num_delivered == 1 for msg in group)
                if (len(group) == 1 and not hopeful) or not await self._apply_together(group, hopeful):
                    for msg in group:
                        await self.handle(msg)

    async def _apply_together(self, group: list[Msg], hopeful: bool) -> bool:
        """Apply one tenant's messages in one transaction and ack them; False, with nothing applied, if
        any of them fails (or, on the hopeful path, was applied before)."""
        code = receiver(group[0].subject)
        try:
            await self._apply(code, group, hopeful)
        except Exception as exc:  # each on its own now: the one that fails is retried or dead-lettered alone
            log.info("%d message(s) for %s not applied %s (%s); one by one, inbox first", len(group), code,
                     "on the hopeful path" if hopeful else "together", exc)
            return False
        for msg in group:
            await msg.ack()
        return True

    async def handle(self, msg: Msg) -> None:
        """Apply one message in its own transaction, or dead-letter it, or leave it for redelivery."""
        message_id = message_id_of(msg)
        code = receiver(msg.subject)
        try:
            await self._apply(code, [msg])
            await msg.ack()
        except PermanentError as exc:
            await self._dead_letter(msg, message_id, code, str(exc))
        except Exception as exc:
            deliveries = msg.metadata.num_delivered if msg.metadata else 1
            if deliveries >= MAX_DELIVER:
                await self._dead_letter(msg, message_id, code, f"failed {deliveries} times: {exc}")
            else:
                level = logging.INFO if isinstance(exc, NotYet) else logging.WARNING
                log.log(level, "message %s on %s not applied (delivery %s): %s", message_id, msg.subject,
                        deliveries, exc)
                await msg.nak(delay=min(30, 2 ** deliveries))

    async def _apply(self, code: str, messages: list[Msg], hopeful: bool = False) -> None:
        await apply_messages(self.db, self.appliers, self.resolve_tenant, code,
                             [(message_id_of(msg), msg.subject, msg.data) for msg in messages], hopeful=hopeful)

    async def _dead_letter(self, msg: Msg, message_id: uuid.UUID, code: str, reason: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO public.dead_letters (message_id, tenant_code, subject, payload, reason, deliveries) "
                "VALUES (:m, :t, :s, :p, :r, :d) ON CONFLICT (message_id) DO NOTHING"),
                {"m": message_id, "t": code, "s": msg.subject, "p": msg.data.decode(errors="replace"),
                 "r": reason[:2000], "d": msg.metadata.num_delivered if msg.metadata else 1})
        await msg.ack()
        log.error("dead-lettered %s on %s: %s", message_id, msg.subject, reason)


async def apply_messages(db: Database, appliers: dict[str, Applier], resolve_tenant: Callable[[str], Awaitable[Any]],
                         code: str, messages: list[tuple[uuid.UUID, str, bytes]], *, hopeful: bool = False) -> None:
    """In one transaction of tenant ``code``: the messages' ids into its inbox, then the effect of each
    (id, subject, body) whose id was not there yet. PermanentError if they can never apply.

    ``hopeful``: every message is taken as new, applied in an optimistic unit of work (``infra.unit_of_work``),
    and its id written into the inbox by the closing statement; the close fails, writing nothing, if one
    of them was there already or a row the appliers read changed meanwhile. Only a caller that then applies them
    carefully may ask for it: an applier's error on the hopeful path may come of a message applied before."""
    tenant = await resolve_tenant(code)
    if tenant is None:
        raise PermanentError(f"no active tenant {code}")
    work = []
    for message_id, subject_, data in messages:
        applier = appliers.get(kind_of(subject_))
        if applier is None:
            raise PermanentError(f"no applier for {subject_}")
        work.append((message_id, applier, data))
    # No ``session.begin()``: the session begins when it first needs to (infra.compat: why a greenlet counts).
    async with db.tenant_session(tenant.schema_name) as session, unit_of_work(session, optimistic=hopeful) as unit:
        if hopeful:  # no BEGIN, no COMMIT, no lock: a changed row fails the close (WriteConflict)
            seen = set()
            for (message_id, applier, payload), (_, subject_, _) in zip(work, messages, strict=True):
                if message_id not in seen:  # the same id twice in one fetch: applied once
                    seen.add(message_id)
                    unit.stage_received((message_id, code, subject_))
                    await applier(session, tenant, payload, str(message_id))
        else:
            # On the session's own connection (same transaction), as the appliers read their rows.
            fresh = {row[0] for row in await (await unit.connection()).fetch(
                _INBOX, [message_id for message_id, _, _ in work], code, [subject_ for _, subject_, _ in messages])}
            for message_id, applier, payload in work:
                if message_id in fresh:
                    fresh.discard(message_id)  # the same id twice in one fetch: applied once
                    await applier(session, tenant, payload, str(message_id))


def message_id_of(msg: Msg) -> uuid.UUID:
    """The message's ``Nats-Msg-Id``; a fresh id if it has none or one that is no UUID."""
    return parse_uuid((msg.headers or {}).get("Nats-Msg-Id")) or uuid.uuid4()


def _groups_by_receiver(messages: list[Msg]) -> list[list[list[Msg]]]:
    """The messages by receiving tenant: for each tenant, its messages in the order they came, in groups of
    at most TOGETHER."""
    by_tenant: dict[str, list[list[Msg]]] = {}
    for msg in messages:
        groups = by_tenant.setdefault(receiver(msg.subject), [[]])
        if len(groups[-1]) == TOGETHER:
            groups.append([])
        groups[-1].append(msg)
    return list(by_tenant.values())


async def connect(settings: Settings, name: str, role: Role = "worker", **options: Any) -> Client:
    """A connection to the settings' NATS as ``role`` (``infra/nats_auth.py``) that reconnects forever, logging each
    change of state once (``federation.nats_log``). A worker's replies come under its namespace's inbox prefix: the
    only subjects it may subscribe to (``federation/permissions.py``). ``options`` go to ``nats.connect`` as they
    are (the tests pass an ``error_cb`` to see the server's refusals)."""
    import nats

    inbox = Namespace(settings.nats_prefix).inbox if role == "worker" else "_INBOX"
    credentials = connect_options(settings, role)
    events = NatsLog(name, settings.effective_nats_url)
    callbacks = events.callbacks()

    async def report(exc: Exception) -> None:
        # nats-py keeps trying (a worker may start before NATS); a refusal of the credentials would never pass.
        if "Authorization Violation" in str(exc):
            log.error("NATS at %s refuses the %s identity %r: see HOTLINE_NATS_%s_PASSWORD or the credentials file",
                      settings.effective_nats_url, role, credentials.get("user"), role.upper())
        else:
            await events.error(exc)

    events.client = await nats.connect(settings.effective_nats_url, **{
        "name": name, "inbox_prefix": inbox, "max_reconnect_attempts": -1, "reconnect_time_wait": 1,
        "connect_timeout": 2, **callbacks, "error_cb": report, **credentials, **options})
    return events.client
