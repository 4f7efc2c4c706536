"""What a transaction writes at its commit, in ONE statement: its order rows, events, outbox messages and
the ids of the messages it applied.

Appending an event (流转记录), sending a message, receiving one, and changing an order or its assignments
read through ``core.orders.rows`` only collect rows on the session. Just before the session commits, the
ORM flushes its own changes (a new order at register (受理), rows the others point at), then one
statement on the session's own asyncpg connection writes the new and changed order and assignment
rows, inserts every collected event into the tenant's event log, every message into the outbox and every
received message's id into the inbox, and notifies the relays if a federation message is among them
(assessment facts alone do not): one statement, not one per table (each statement costs a round trip,
and through SQLAlchemy a few hundred µs of the client's CPU too; docs/benchmarks/dispatch.md).

Nothing reads a transaction's own new events before it commits (the timeline is read afterwards), so
holding them back until then changes no answer; order rows are read back from the row store, which
answers with what the transaction changed.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_

from core.orders import rows as order_rows
from infra.db import TENANT_SCHEMA_KEY, driver_connection_sync

if TYPE_CHECKING:
    from core.orders.models import OrderEvent

# The channel the outbox relays LISTEN on. pg_notify is delivered at commit (and only then); identical
# notifications of one transaction are folded into one by PostgreSQL.
OUTBOX_CHANNEL = "hotline_outbox"
# Assessment facts do not wake the relays: about half the commits of a dispatch chain write facts and no
# message, and each NOTIFY cost the relay a pass that had nothing to send yet (facts gather for
# ``federation.transport.FACTS_GATHER_S``). Facts go with the next message's pass, or with the relay's idle
# poll, a second at most.
_EVENTS = "staged_events"
_MESSAGES = "staged_messages"
_RECEIVED = "staged_received"
_WAKE = "staged_wake"

_MESSAGE_TYPES = ("uuid", "text", "text", "text", "text")
_RECEIVED_TYPES = ("uuid", "text", "text")


def stage_event(session: AsyncSession, order_event: OrderEvent) -> None:
    """Add the event to the tenant's event log inside the caller's transaction (written at its commit)."""
    info = session.sync_session.info
    if TENANT_SCHEMA_KEY not in info:
        raise RuntimeError("an order event needs a tenant session (infra.db.Database.tenant_session)")
    info.setdefault(_EVENTS, []).append(order_event)


def stage_message(session: AsyncSession, row: tuple[uuid.UUID, str, str, str, str], *, wake: bool = True) -> None:
    """Add an outbox row (message id, sender, subject, kind, JSON payload), written at the commit. ``wake``:
    the commit notifies the relay at once (an assessment fact waits for the relay's next sweep instead)."""
    info = session.sync_session.info
    info.setdefault(_MESSAGES, []).append(row)
    if wake:
        info[_WAKE] = True


def stage_received(session: AsyncSession, row: tuple[uuid.UUID, str, str]) -> None:
    """Add an inbox row (message id, receiving tenant, subject), written at the commit. No ``ON CONFLICT``:
    a message applied before makes the commit fail with a unique violation on ``inbox_pkey``, and the
    transaction write nothing (``federation.transport``: applied on the hopeful path)."""
    session.sync_session.info.setdefault(_RECEIVED, []).append(row)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """Write what was staged, in the transaction that is about to commit: one statement."""
    events: list[OrderEvent] = session.info.pop(_EVENTS, [])
    messages: list[tuple[Any, ...]] = session.info.pop(_MESSAGES, [])
    received: list[tuple[Any, ...]] = session.info.pop(_RECEIVED, [])
    rows = order_rows.pending(session)
    writes = list(rows.writes()) if rows is not None else []
    if events:  # after the orders: an event may belong to an order the statement inserts
        writes.append(("events", order_rows.events_json(events)))
    if not messages and not writes and not received:
        return
    # Rows of a table as one JSON parameter, not one array per column: asyncpg checks every element of an
    # array it sends, in Python.
    args: list[Any] = [rows_json for _, rows_json in writes]
    args += [list(column) for column in zip(*messages, strict=True)] if messages else []
    args += [list(column) for column in zip(*received, strict=True)] if received else []
    # The ORM's own changes first: the rows and events below may point at an order it inserts.
    session.flush()
    schema = session.info[TENANT_SCHEMA_KEY] if writes else None
    wake = bool(session.info.pop(_WAKE, False))
    statement = _statement(schema, tuple(kind for kind, _ in writes), bool(messages), wake, bool(received))
    # An unlocked step with nothing for the ORM to flush has begun no transaction: its one statement is one.
    unlocked = rows is not None and rows.unlocked
    connection = driver_connection_sync(session.connection(), begin=not unlocked)
    try:
        await_(connection.fetchval(statement, *args))
    except asyncpg.SerializationError as exc:  # write_conflict(): the statement wrote nothing
        raise order_rows.WriteConflict(str(exc)) from exc
    except asyncpg.UniqueViolationError as exc:
        # PostgreSQL does not promise which part of the statement runs first: an event numbered after a
        # tip that moved meanwhile may fail on its key before the version check has run.
        if unlocked and exc.constraint_name == "uq_order_events_order_seq":
            raise order_rows.WriteConflict(str(exc)) from exc
        raise


@lru_cache(maxsize=8192)
def _statement(schema: str | None, writes: tuple[str, ...], messages: bool, wake: bool, received: bool) -> str:
    """The commit's statement for one tenant schema and the kinds of rows it writes; built once, not per
    commit. Its parameters, in order: one per kind of row (``order_rows.WRITES``, events last), then the
    messages' columns, then the received messages'."""
    params = iter(range(1, 100))
    ctes = [f"{kind} AS ({order_rows.WRITES[kind].format(s=schema, p=f'${next(params)}')})" for kind in writes]
    if messages:
        arrays = ", ".join(f"CAST(${next(params)} AS {t}[])" for t in _MESSAGE_TYPES)
        ctes.append("written AS (INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                    f"SELECT m, t, s, k, CAST(p AS jsonb) FROM unnest({arrays}) WITH ORDINALITY AS x(m, t, s, k, p, n) "
                    "ORDER BY n)")
    if received:
        arrays = ", ".join(f"CAST(${next(params)} AS {t}[])" for t in _RECEIVED_TYPES)
        ctes.append(f"received AS (INSERT INTO public.inbox (message_id, tenant_code, subject) "
                    f"SELECT * FROM unnest({arrays}))")
    notify = f"pg_notify('{OUTBOX_CHANNEL}', '')" if wake else "1"
    if "guarded_orders" in writes:  # an order changed since the step read it: the whole statement fails
        rows_given = f"jsonb_array_length(CAST(${writes.index('guarded_orders') + 1} AS jsonb))"
        notify += (f", CASE WHEN (SELECT count(*) FROM guarded_orders) < {rows_given} "
                   "THEN public.write_conflict('an order changed since the step read it') END")
    return f"WITH {', '.join(ctes)} SELECT {notify}"


@event.listens_for(Session, "after_transaction_end")
def _drop_staged(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing (rolled back, or closed) writes nothing it staged."""
    if transaction.parent is None:
        session.info.pop(_EVENTS, None)
        session.info.pop(_MESSAGES, None)
        session.info.pop(_RECEIVED, None)
        order_rows.drop(session.info)
