"""Dead letters (死信) looked at and applied again once their cause is fixed.

A message is dead-lettered when it could not apply: its tenant was disabled, its record was
missing, it failed eight times. Once the cause is fixed (the tenant is active again, the missing
dispatch was replayed first, a bug was fixed), ``replay`` applies it exactly as a consumer would:
in the receiver's transaction with its inbox id, so a message applied meanwhile is not applied
twice. A replayed message leaves ``dead_letters``; one that still cannot apply stays, with the
new reason.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from sqlalchemy import text

from core.assessment.store import apply_facts
from core.orders.crosslevel import DOWN, UP
from federation.subjects import receiver
from federation.transport import apply_messages
from infra.db import Database
from tenants.binding import RegistryCache

_APPLIERS = {**DOWN, **UP}


@dataclass(frozen=True)
class DeadLetter:
    message_id: uuid.UUID
    tenant_code: str | None
    subject: str
    reason: str
    deliveries: int
    at: datetime
    payload: str


@dataclass
class Replayed:
    applied: list[DeadLetter] = field(default_factory=list)
    kept: list[tuple[DeadLetter, str]] = field(default_factory=list)  # with why it still cannot apply


async def dead_letters(db: Database, ids: list[uuid.UUID] | None = None) -> list[DeadLetter]:
    """The dead letters, oldest first; only those with these ids if given."""
    where = "WHERE message_id = ANY(:ids) " if ids is not None else ""
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT message_id, tenant_code, subject, reason, deliveries, at, payload FROM public.dead_letters "
            f"{where}ORDER BY at, message_id"), {"ids": ids} if ids is not None else {})
        return [DeadLetter(*row) for row in rows]


async def replay(db: Database, postgres_url: str, letters: list[DeadLetter]) -> Replayed:
    """Apply each dead letter again, in order; remove those that applied, keep the others with the new reason."""
    registry = RegistryCache()

    async def resolve(code: str):  # type: ignore[no-untyped-def]
        tenant = await registry.get(db, code)
        return tenant if tenant is not None and tenant.status == "active" else None

    result = Replayed()
    facts = await asyncpg.connect(postgres_url)
    try:
        for letter in letters:
            try:
                if letter.subject.split(".")[1] == "facts":
                    async with facts.transaction():
                        await apply_facts(facts, [json.loads(letter.payload)])
                else:
                    await apply_messages(db, _APPLIERS, resolve, receiver(letter.subject),
                                         [(letter.message_id, letter.subject, letter.payload.encode())])
            except Exception as exc:  # whatever stops it is the new reason, kept for the operator
                reason = f"replay: {exc}"[:2000]
                async with db.engine.begin() as conn:
                    await conn.execute(text("UPDATE public.dead_letters SET reason = :r WHERE message_id = :m"),
                                       {"r": reason, "m": letter.message_id})
                result.kept.append((letter, reason))
                continue
            async with db.engine.begin() as conn:
                await conn.execute(text("DELETE FROM public.dead_letters WHERE message_id = :m"),
                                   {"m": letter.message_id})
            result.applied.append(letter)
    finally:
        await facts.close()
    return result
