"""The transactional outbox: a message is a row written in the same transaction as the state change.

``enqueue`` only collects the message on the session; just before the session commits, every
message it collected is written in one statement that also notifies the relays. One round trip
per transaction instead of two per message: an action writes its federation message and a fact
per event, and the hot path of dispatch is counted in round trips.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from federation.subjects import subject

CHANNEL = "hotline_outbox"
_PENDING = "outbox_pending"

# pg_notify is delivered at commit (and only then): it wakes the relays without waiting for their
# next poll. Identical notifications of one transaction are folded into one by PostgreSQL.
_WRITE = text(
    "WITH written AS (INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
    "SELECT m, t, s, k, CAST(p AS jsonb) FROM unnest(CAST(:m AS uuid[]), CAST(:t AS text[]), CAST(:s AS text[]), "
    "CAST(:k AS text[]), CAST(:p AS text[])) WITH ORDINALITY AS x(m, t, s, k, p, n) ORDER BY n) "
    f"SELECT pg_notify('{CHANNEL}', '')")


@dataclass(frozen=True)
class Outgoing:
    kind: str
    receiver_path: str
    payload: dict[str, Any]


async def enqueue(session: AsyncSession, message_id: uuid.UUID, sender: str, message: Outgoing) -> None:
    """Add the message to the sender's outbox inside the caller's transaction (written at its commit)."""
    pending = session.sync_session.info.setdefault(_PENDING, [])
    pending.append((message_id, sender, subject(message.kind, message.receiver_path), message.kind,
                    json.dumps(message.payload, ensure_ascii=False, default=str)))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Write what ``enqueue`` collected, in the transaction that is about to commit."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        columns = list(zip(*pending, strict=True))
        session.execute(_WRITE, {"m": list(columns[0]), "t": list(columns[1]), "s": list(columns[2]),
                                 "k": list(columns[3]), "p": list(columns[4])})


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without committing (rolled back, or closed) sends nothing."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
