"""The transactional outbox: a message is a row written in the same transaction as the state change.

``enqueue`` only collects the message on the session; just before the session commits, every
message it collected is written, with the transaction's new events, in one statement that also
notifies the relays if a federation message is among them (``core.commit``): an action writes its
federation message and a fact per event, and on the hot path of dispatch every statement counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from core.commit import stage_message
from federation.subjects import subject


@dataclass(frozen=True)
class Outgoing:
    kind: str
    receiver_path: str
    payload: dict[str, Any]


async def enqueue(session: AsyncSession, message_id: uuid.UUID, sender: str, message: Outgoing) -> None:
    """Add the message to the sender's outbox inside the caller's transaction (written at its commit)."""
    stage_message(session, (message_id, sender, subject(message.kind, message.receiver_path), message.kind,
                            _json(message.payload)))


# What is not JSON goes as its ``str()`` (a datetime too, as the standard library's encoder would with
# ``default=str``): receivers read what they always read. orjson: a step writes a message and a fact, and on
# the hot path of dispatch its encoding costs several times orjson's.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def _json(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload, default=str, option=_PASSTHROUGH).decode()
