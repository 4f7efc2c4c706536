"""Retention (保留期限): published outbox rows and inbox ids are deleted once no message can need them.

- An outbox row is kept ``keep_days`` after it was published: `federation check` looks back that far.
- An inbox id is kept a day longer than that (so the check never sees a kept outbox row whose inbox id
  is gone), and always while the same message is still unpublished in the outbox: the relay may send
  it again after JetStream's duplicate window, and only the inbox then stops a second application.
- A message leaves its JetStream stream as soon as it is acked (interest retention, ``transport``).
- Dead letters stay until someone deals with them.

Deletes go in batches, so no statement holds many row locks or runs long beside the relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

BATCH = 10_000
INBOX_MARGIN = timedelta(days=1)

_OUTBOX = (
    "DELETE FROM public.outbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM public.outbox "
    "WHERE created_at < $1 AND published_at < $1 LIMIT $2))")
_INBOX = (
    "DELETE FROM public.inbox WHERE ctid = ANY(ARRAY(SELECT i.ctid FROM public.inbox i WHERE i.applied_at < $1 "
    "AND NOT EXISTS (SELECT 1 FROM public.outbox o WHERE o.message_id = i.message_id AND o.published_at IS NULL) "
    "LIMIT $2))")


@dataclass(frozen=True)
class Pruned:
    outbox: int
    inbox: int


async def prune(conn: asyncpg.Connection, now: datetime, keep_days: float) -> Pruned:
    """Delete what retention no longer needs, as of ``now``; how many rows of each table went."""
    cutoff = now - timedelta(days=keep_days)
    return Pruned(outbox=await _in_batches(conn, _OUTBOX, cutoff),
                  inbox=await _in_batches(conn, _INBOX, cutoff - INBOX_MARGIN))


async def _in_batches(conn: asyncpg.Connection, statement: str, cutoff: datetime) -> int:
    deleted = 0
    while True:
        status = await conn.execute(statement, cutoff, BATCH)  # "DELETE n"
        count = int(status.split()[-1])
        deleted += count
        if count < BATCH:
            return deleted
