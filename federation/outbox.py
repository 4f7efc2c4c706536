"""The transactional outbox: a message is a row written in the same transaction as the state change."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from federation.subjects import subject

CHANNEL = "hotline_outbox"


@dataclass(frozen=True)
class Outgoing:
    kind: str
    receiver_path: str
    payload: dict[str, Any]


async def enqueue(session: AsyncSession, message_id: uuid.UUID, sender: str, message: Outgoing) -> None:
    """Add the message to the sender's outbox inside the caller's transaction."""
    await session.execute(
        text("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
             "VALUES (:m, :t, :s, :k, CAST(:p AS jsonb))"),
        {"m": message_id, "t": sender, "s": subject(message.kind, message.receiver_path), "k": message.kind,
         "p": json.dumps(message.payload, ensure_ascii=False, default=str)},
    )
    # Delivered at commit (and only then): wakes the relays without waiting for their next poll.
    await session.execute(text(f"NOTIFY {CHANNEL}"))
