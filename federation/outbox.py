"""The transactional outbox: a message is a row written in the same transaction as the state change.

``enqueue`` only stages the message in the session's unit of work; when the unit closes, every
message it staged is written, with the step's rows and events, in one statement that also
notifies the relays if a federation message is among them (``infra.unit_of_work``): an action writes its
federation message and a fact per event, and on the hot path of dispatch every statement counts.
The outbox does not look inside a message: its kind names the subject, its body is what travels.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from federation.subjects import FACT_KIND, subject
from infra.unit_of_work import current


class Sendable(Protocol):
    """A message to another level: its kind (a subject token) and its body as it travels."""

    kind: ClassVar[str]

    def body(self) -> str: ...


@dataclass(frozen=True)
class Outgoing:
    receiver_path: str
    message: Sendable

    @property
    def kind(self) -> str:
        return self.message.kind


async def enqueue(session: AsyncSession, message_id: uuid.UUID, sender: str, outgoing: Outgoing) -> None:
    """Add the message to the sender's outbox in the session's unit of work (written when it closes)."""
    current(session).stage_message((message_id, sender, subject(outgoing.kind, outgoing.receiver_path),
                                    outgoing.kind, outgoing.message.body()))


# What is not JSON goes as its ``str()`` (a datetime too, as the standard library's encoder would with
# ``default=str``). orjson: a step writes a fact per event, and on the hot path of dispatch its encoding costs
# several times orjson's.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


async def enqueue_fact(session: AsyncSession, message_id: uuid.UUID, sender: str, receiver_path: str,
                       fact: dict[str, Any]) -> None:
    """Add an assessment fact to the outbox in the session's unit of work (written when it closes)."""
    # A fact does not wake the relay: its next sweep carries it (assessment is not on a step's clock).
    current(session).stage_message((message_id, sender, subject(FACT_KIND, receiver_path), FACT_KIND,
                                    orjson.dumps(fact, default=str, option=_PASSTHROUGH).decode()), wake=False)
