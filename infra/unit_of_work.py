"""The unit of work of one transaction: the rows it stages, written in ONE closing statement, then its commit.

    async with unit_of_work(session, optimistic=True) as work:
        ...                      # read; stage rows (writers), outbox messages, inbox records
    # left without an error: the closing statement ran and the transaction committed

Writers join a unit of work (``writer``) and hand it their rows at its close as ``Part``s: one SQL statement
over one parameter each (the order rows: ``core.orders.rows``); the unit itself stages outbox messages
(``federation.outbox``) and the ids of messages applied (``federation.transport``). At its close ONE
statement on the session's own asyncpg connection writes every part, every message and every received id,
and notifies the relays if a federation message is among them: one statement, not one per table (each
statement costs a round trip, and through SQLAlchemy a few hundred µs of the client's CPU too;
``hotline bench statements``). Then the ORM flushes its own changes (rows that may point at a row the
statement inserted: an order's attachments at intake) and the transaction commits.

Optimistic (``optimistic=True``): writers read their rows without locking them, with each row's version
(PostgreSQL's ``xmin``), and write them only if unchanged since (a ``checked`` part). The unit then costs no
BEGIN and no COMMIT, a round trip each, unless the ORM needs a transaction (it read through the session, or
has changes to flush); and it holds no lock while the caller decides. If a row changed meanwhile, the
statement writes nothing and the close raises ``WriteConflict``; the caller does its work again in a unit of
work that locks.

Invariants, checked here (a broken one raises ``RuntimeError``, never writes part of a step):

* nothing is staged outside a unit of work: staging on a session with none open raises;
* one unit of work at a time on a session, its mode fixed when it opens;
* a unit of work ends with its transaction: leaving the block writes and commits, or, if the block raised,
  rolls back and writes nothing; a commit by other code inside the block raises (it would commit without the
  staged rows); a rollback inside the block ends the unit (what it staged is dropped, staging after raises);
* in an optimistic unit, every ``checked`` part writes each row it was given, or the statement fails as a
  whole (``WriteConflict``); what a writer must check is the writer's to say, and to assert (the order rows:
  every changed assignment and every event comes with its order's version check).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from infra.compat import adapter_begin, adapter_driver, adapter_in_transaction, session_adapter

# The channel the outbox relays LISTEN on. pg_notify is delivered at commit (and only then); identical
# notifications of one transaction are folded into one by PostgreSQL.
OUTBOX_CHANNEL = "hotline_outbox"
# The one key a unit of work keeps in its session's ``info``: code that is handed the session (the domain's
# rules, the appliers of messages) finds the open unit of work there, as it finds the session's tenant schema.
_KEY = "unit_of_work"

_MESSAGE_TYPES = ("uuid", "text", "text", "text", "text")
_RECEIVED_TYPES = ("uuid", "text", "text")


class WriteConflict(Exception):
    """A row an optimistic unit of work read changed before its close: nothing of the unit was written."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the closing statement: ``sql`` (a data-modifying statement, its one parameter written
    ``{p}``) over ``param``. ``checked``: in an optimistic unit the part must return a row for each element of
    ``param`` (a JSON array), or nothing is written. ``conflict_on``: a unique constraint whose violation, in an
    optimistic unit, means a row changed meanwhile (PostgreSQL does not promise the order the parts run in: a
    key that moved may fail before the version check has run)."""

    sql: str
    param: Any
    checked: bool = False
    conflict_on: str | None = None


class Writer(Protocol):
    """Rows staged by one kind of writer, handed over when the unit of work closes."""

    def parts(self) -> Iterable[Part]: ...


class Announcing(Protocol):
    """A writer that also announces what it wrote: (channel, payload) pairs the closing statement notifies,
    delivered by PostgreSQL at commit and only then (the console's live stream: ``core.orders.live``)."""

    def notices(self) -> Iterable[tuple[str, str]]: ...


_Writer = TypeVar("_Writer", bound=Writer)


class UnitOfWork:
    """What one transaction stages (see the module's docstring). Opened by ``unit_of_work``."""

    def __init__(self, session: AsyncSession, optimistic: bool) -> None:
        self.session = session
        self.optimistic = optimistic
        self._writers: dict[type, Writer] = {}
        self._messages: list[tuple[uuid.UUID, str, str, str, str]] = []
        self._received: list[tuple[uuid.UUID, str, str]] = []
        self._wake = False
        self._adapter: Any = None
        self._closing = False
        self._ended = False  # its transaction ended inside its block

    def writer(self, kind: type[_Writer], make: Callable[[], _Writer]) -> _Writer:
        """The unit's writer of this kind, made by ``make`` the first time it is asked for."""
        self._check_open()
        found = self._writers.get(kind)
        if found is None:
            found = self._writers[kind] = make()
        return found  # type: ignore[return-value]

    def stage_message(self, row: tuple[uuid.UUID, str, str, str, str], *, wake: bool = True) -> None:
        """An outbox row (message id, sender, subject, kind, JSON payload). ``wake``: the commit notifies the
        relays at once (an assessment fact waits for their next sweep instead)."""
        self._check_open()
        self._messages.append(row)
        self._wake = self._wake or wake

    def stage_received(self, row: tuple[uuid.UUID, str, str]) -> None:
        """An inbox row (message id, receiving tenant, subject). No ``ON CONFLICT``: a message applied before
        fails the close on ``inbox_pkey``, and nothing is written."""
        self._check_open()
        self._received.append(row)

    async def connection(self) -> asyncpg.Connection:
        """The session's asyncpg connection for a statement of this unit: inside the session's transaction,
        begun if it was not; in an optimistic unit, on its own until the ORM begins one."""
        self._check_open()
        if self._adapter is None:
            self._adapter = await session_adapter(self.session)
        if not self.optimistic:
            await _begin(self._adapter)
        return adapter_driver(self._adapter)

    def _check_open(self) -> None:
        if self._ended:
            raise RuntimeError("the unit of work's transaction ended inside its block (a rollback): "
                               "nothing more can be staged in it")
        if self._closing:
            raise RuntimeError("the unit of work is closing: nothing more can be staged in it")

    async def _close(self) -> None:
        """Write what was staged in one statement, then commit (the ORM flushes its own changes after it)."""
        self._check_open()
        parts = [part for writer in self._writers.values() for part in writer.parts()]
        notices = [n for writer in self._writers.values() if hasattr(writer, "notices")
                   for n in writer.notices()]
        self._closing = True
        if parts or self._messages or self._received:
            await self._write(parts, notices)
        await self.session.commit()

    async def _write(self, parts: list[Part], notices: list[tuple[str, str]]) -> None:
        if self._adapter is None:
            self._adapter = await session_adapter(self.session)
        # An optimistic unit with nothing for the ORM to write needs no transaction: its one statement is one.
        if not self.optimistic or _orm_pending(self.session):
            await _begin(self._adapter)
        # Rows of a table as one JSON parameter, not one array per column: asyncpg checks every element of an
        # array it sends, in Python.
        args: list[Any] = [part.param for part in parts]
        args += [list(column) for column in zip(*self._messages, strict=True)] if self._messages else []
        args += [list(column) for column in zip(*self._received, strict=True)] if self._received else []
        args += [list(column) for column in zip(*notices, strict=True)] if notices else []
        statement = _statement(tuple((part.sql, part.checked and self.optimistic) for part in parts),
                               bool(self._messages), self._wake, bool(self._received), bool(notices))
        try:
            await adapter_driver(self._adapter).fetchval(statement, *args)
        except asyncpg.SerializationError as exc:  # public.write_conflict(): the statement wrote nothing
            raise WriteConflict(str(exc)) from exc
        except asyncpg.UniqueViolationError as exc:
            if self.optimistic and exc.constraint_name in {part.conflict_on for part in parts}:
                raise WriteConflict(str(exc)) from exc
            raise


async def _begin(adapter: Any) -> None:
    """The adapter's transaction, begun if it was not."""
    if not adapter_in_transaction(adapter):
        await adapter_begin(adapter)
    # Had the adapter changed under ``infra.compat``, statements would run outside the transaction: fail loudly.
    if not adapter_driver(adapter).is_in_transaction():
        raise RuntimeError("the session's asyncpg connection is not in a transaction: has SQLAlchemy's asyncpg "
                           "adapter changed? (infra.compat)")


def _orm_pending(session: AsyncSession) -> bool:
    """Whether the ORM has changes to flush (they go in the unit's transaction, with its statement)."""
    sync = session.sync_session
    return bool(sync.new or sync.deleted or sync.dirty)


def open_unit(session: AsyncSession) -> UnitOfWork | None:
    """The unit of work open on the session, if there is one."""
    return session.sync_session.info.get(_KEY)


def current(session: AsyncSession) -> UnitOfWork:
    """The unit of work open on the session; RuntimeError if there is none (nothing is staged outside one)."""
    work: UnitOfWork | None = session.sync_session.info.get(_KEY)
    if work is None:
        raise RuntimeError("no unit of work is open on this session: read rows to change them, and stage rows, "
                           "messages and events, only inside one (a step: infra.unit_of_work.unit_of_work)")
    return work


async def connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection for a statement: as the open unit of work runs its own
    (``UnitOfWork.connection``), or inside the session's transaction if none is open."""
    work = open_unit(session)
    if work is not None:
        return await work.connection()
    adapter = await session_adapter(session)
    await _begin(adapter)
    return adapter_driver(adapter)


@asynccontextmanager
async def unit_of_work(session: AsyncSession, *, optimistic: bool = False) -> AsyncIterator[UnitOfWork]:
    """A unit of work on the session until the block ends: then what it staged is written and committed, or,
    if the block raised, rolled back (see the module's docstring). The close may raise ``WriteConflict``
    (optimistic), having written nothing."""
    info = session.sync_session.info
    if _KEY in info:
        raise RuntimeError("a unit of work is open on this session already: one at a time, each with its transaction")
    work = info[_KEY] = UnitOfWork(session, optimistic)
    try:
        yield work
        if work._ended:
            raise RuntimeError("the unit of work's transaction ended inside its block: what it staged was dropped")
        await work._close()
    except BaseException:
        work._closing = True  # the rollback below is the unit's own
        info.pop(_KEY, None)
        if session.in_transaction():
            await session.rollback()
        raise
    finally:
        info.pop(_KEY, None)


@lru_cache(maxsize=8192)
def _statement(parts: tuple[tuple[str, bool], ...], messages: bool, wake: bool, received: bool,
               notices: bool = False) -> str:
    """The closing statement for these parts (SQL, checked) and kinds of staged rows; built once, not per unit.
    Its parameters, in order: one per part, then the messages' columns, then the received messages', then the
    notices' channels and payloads."""
    ctes = [f"w{n} AS ({sql.format(p=f'${n}')})" for n, (sql, _) in enumerate(parts, 1)]
    params = iter(range(len(parts) + 1, 100))
    if messages:
        arrays = ", ".join(f"CAST(${next(params)} AS {t}[])" for t in _MESSAGE_TYPES)
        ctes.append("written AS (INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                    f"SELECT m, t, s, k, CAST(p AS jsonb) FROM unnest({arrays}) WITH ORDINALITY AS x(m, t, s, k, p, n) "
                    "ORDER BY n)")
    if received:
        arrays = ", ".join(f"CAST(${next(params)} AS {t}[])" for t in _RECEIVED_TYPES)
        ctes.append(f"received AS (INSERT INTO public.inbox (message_id, tenant_code, subject) "
                    f"SELECT * FROM unnest({arrays}))")
    # Assessment facts do not wake the relays: about half the commits of a dispatch chain write facts and no
    # message, and each NOTIFY cost the relay a pass that had nothing to send yet. Facts go with the next
    # message's pass, or with the relay's idle poll, a second at most.
    selected = [f"pg_notify('{OUTBOX_CHANNEL}', '')" if wake else "1"]
    if notices:  # a scalar subquery in the select list: it runs (a CTE that modifies nothing would not)
        channels, payloads = next(params), next(params)
        selected.append(f"(SELECT count(pg_notify(c, p)) FROM unnest(CAST(${channels} AS text[]), "
                        f"CAST(${payloads} AS text[])) AS n(c, p))")
    selected += [f"CASE WHEN (SELECT count(*) FROM w{n}) < jsonb_array_length(CAST(${n} AS jsonb)) "
                 "THEN public.write_conflict('a row changed since the unit of work read it') END"
                 for n, (_, checked) in enumerate(parts, 1) if checked]
    return f"WITH {', '.join(ctes)} SELECT {', '.join(selected)}"


# Global listeners, on every Session: SQLAlchemy has no per-session hook that costs nothing (a listener added
# per session is registered and removed per step), and the guard must catch a commit or a rollback made by code
# that knows nothing of the unit of work. On a session with no unit of work open each costs a dict lookup.
@event.listens_for(Session, "before_commit")
def _no_commit_inside(session: Session) -> None:
    """A commit inside a unit of work's block, not by the unit itself, would commit without what it staged."""
    work: UnitOfWork | None = session.info.get(_KEY)
    if work is not None and not work._closing:
        raise RuntimeError("commit inside a unit of work: leave its block instead (it writes what was staged, "
                           "then commits)")


@event.listens_for(Session, "after_transaction_end")
def _end_with_transaction(session: Session, transaction: SessionTransaction) -> None:
    """A unit of work ends with its transaction: one that ends inside the block (a rollback) ends the unit."""
    work: UnitOfWork | None = session.info.get(_KEY)
    if work is not None and transaction.parent is None and not work._closing:
        work._ended = True
