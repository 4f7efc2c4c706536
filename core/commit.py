"""What a transaction writes at its commit, in ONE statement: its new order events and its outbox messages.

Appending an event (流转记录) and sending a message only collect rows on the session. Just before the
session commits, the ORM flushes its own changes (the order rows the events point at), then one
statement inserts every collected event into the tenant's event log and every message into the
outbox, and notifies the relays: one statement for both, not one per table (each statement sent
through SQLAlchemy costs the client a few hundred µs here; BENCHMARKS.md).

Nothing reads a transaction's own new events before it commits (the timeline is read afterwards), so
holding them back until then changes no answer.
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import TextClause, event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from core.db import TENANT_SCHEMA_KEY

if TYPE_CHECKING:
    from core.orders.models import OrderEvent

# The channel the outbox relays LISTEN on. pg_notify is delivered at commit (and only then); identical
# notifications of one transaction are folded into one by PostgreSQL.
OUTBOX_CHANNEL = "hotline_outbox"
_EVENTS = "staged_events"
_MESSAGES = "staged_messages"

_EVENT_COLUMNS = ("event_id", "order_id", "seq", "action", "from_status", "to_status", "actor", "actor_unit_id",
                  "actor_tenant", "reason", "payload", "occurred_at", "prev_hash", "hash")
_EVENT_TYPES = ("uuid", "bigint", "integer", "text", "text", "text", "text", "bigint", "text", "text", "text",
                "timestamptz", "bytea", "bytea")
_EVENTS_INSERT = (
    "INSERT INTO \"{schema}\".order_events (" + ", ".join(_EVENT_COLUMNS) + ") SELECT "
    + ", ".join("CAST(payload AS jsonb)" if c == "payload" else c for c in _EVENT_COLUMNS)
    + " FROM unnest(" + ", ".join(f"CAST(:e_{c} AS {t}[])" for c, t in zip(_EVENT_COLUMNS, _EVENT_TYPES, strict=True))
    + ") WITH ORDINALITY AS e(" + ", ".join(_EVENT_COLUMNS) + ", n) ORDER BY n")
_MESSAGES_CTE = (
    "written AS (INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
    "SELECT m, t, s, k, CAST(p AS jsonb) FROM unnest(CAST(:m AS uuid[]), CAST(:t AS text[]), CAST(:s AS text[]), "
    "CAST(:k AS text[]), CAST(:p AS text[])) WITH ORDINALITY AS x(m, t, s, k, p, n) ORDER BY n)")


def stage_event(session: AsyncSession, order_event: OrderEvent) -> None:
    """Add the event to the tenant's event log inside the caller's transaction (written at its commit)."""
    info = session.sync_session.info
    if TENANT_SCHEMA_KEY not in info:
        raise RuntimeError("an order event needs a tenant session (core.db.Database.tenant_session)")
    info.setdefault(_EVENTS, []).append(order_event)


def stage_message(session: AsyncSession, row: tuple[uuid.UUID, str, str, str, str]) -> None:
    """Add an outbox row (message id, sender, subject, kind, JSON payload), written at the commit."""
    session.sync_session.info.setdefault(_MESSAGES, []).append(row)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """Write what was staged, in the transaction that is about to commit: one statement."""
    events: list[OrderEvent] = session.info.pop(_EVENTS, [])
    messages: list[tuple[Any, ...]] = session.info.pop(_MESSAGES, [])
    if not events and not messages:
        return
    params: dict[str, list[Any]] = {}
    for column in _EVENT_COLUMNS if events else ():
        values = [getattr(e, column) for e in events]
        params[f"e_{column}"] = [json.dumps(v, ensure_ascii=False) for v in values] if column == "payload" else values
    for key, column in zip("mtskp", zip(*messages, strict=True), strict=True) if messages else ():
        params[key] = list(column)
    # The ORM flushes first (this execute autoflushes): the events' orders exist when the events go in.
    session.execute(_statement(session.info[TENANT_SCHEMA_KEY] if events else None, bool(messages)), params)


@lru_cache(maxsize=8192)  # two per tenant at most: all of Henan's 2,786 fit
def _statement(events_schema: str | None, messages: bool) -> TextClause:
    """The commit's statement: the events into ``events_schema`` (if any), the messages (if any). Built once
    per schema, not per commit."""
    ctes = ([f"events AS ({_EVENTS_INSERT.format(schema=events_schema)})"] if events_schema else []) \
        + ([_MESSAGES_CTE] if messages else [])
    notify = f"pg_notify('{OUTBOX_CHANNEL}', '')" if messages else "1"
    return text(f"WITH {', '.join(ctes)} SELECT {notify}")


@event.listens_for(Session, "after_transaction_end")
def _drop_staged(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing (rolled back, or closed) writes nothing it staged."""
    if transaction.parent is None:
        session.info.pop(_EVENTS, None)
        session.info.pop(_MESSAGES, None)
