"""Assessment facts (考核事实) travel in packs: the facts of one relay pass go out as a few NATS messages.

Six of a dispatch chain's nine messages are facts, and every NATS message costs the same whatever it
carries: the relay's publish and the wait for its ack, the server's fsync'd write and delivery, the
consumer's ack (docs/benchmarks/dispatch.md). Facts need no per-message identity on the wire: the read model
applies each one once by its record's applied events (``assess_records.applied``), and their order
does not matter. So the relay sends the facts one pass read as packs of up to ``MAX_FACTS``.

A pack's body is a JSON array of ``[message id, fact]`` pairs, each fact as the outbox row holds
it (the text PostgreSQL prints, not parsed and re-encoded). Its ``Nats-Msg-Id`` is derived from
the ids it holds: the same pack published again (a relay died before marking it) is dropped by
JetStream; a pack that overlaps it differently repeats facts the read model skips anyway.

Its subject is ``hotline.facts.<the path all its facts' tenants share>`` (``hotline.facts.41`` for
a province's mixed pass, the tenant's own path when one tenant's facts go alone). A single fact
published before packs existed (its body the fact itself) is still read, as a pack of one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from federation.subjects import FACTS_PREFIX

PACK_NAMESPACE = uuid.UUID("1f6d8c1e-3b7a-4c52-9e0d-7a41c0a12345")
# Keeps a pack far below NATS's default 1 MB payload limit (a fact is a few hundred bytes).
MAX_FACTS = 200


class Malformed(Exception):
    """A message that is not a pack of facts: dead-lettered as it is."""


@dataclass(frozen=True)
class Pack:
    message_id: uuid.UUID
    subject: str  # logical (``hotline.…``); the relay puts it in its namespace
    body: str
    outbox_ids: list[int]


def packs(rows: list[tuple[int, uuid.UUID, str, str]]) -> list[Pack]:
    """The facts' outbox rows (id, message id, subject, payload text) as packs, in the order given."""
    result = []
    for start in range(0, len(rows), MAX_FACTS):
        part = rows[start:start + MAX_FACTS]
        ids = [str(message_id) for _, message_id, _, _ in part]
        body = "[" + ",".join(f'["{id_}",{payload}]' for id_, (_, _, _, payload) in zip(ids, part, strict=True)) + "]"
        result.append(Pack(uuid.uuid5(PACK_NAMESPACE, ",".join(ids)), _shared_subject([s for _, _, s, _ in part]),
                           body, [row_id for row_id, _, _, _ in part]))
    return result


def _shared_subject(subjects: list[str]) -> str:
    """The longest subject all of them start with, token by token (at least one token of path)."""
    shared = subjects[0].split(".")
    for other in subjects[1:]:
        tokens = other.split(".")
        n = 0
        while n < min(len(shared), len(tokens)) and shared[n] == tokens[n]:
            n += 1
        shared = shared[:n]
    prefix_tokens = FACTS_PREFIX.count(".") + 1
    return ".".join(shared) if len(shared) > prefix_tokens else f"{FACTS_PREFIX}.mixed"


def unpack(data: bytes, header_id: str | None) -> list[tuple[uuid.UUID, Any]]:
    """The (message id, fact) pairs of a message's body; each fact is checked by the caller."""
    try:
        body = orjson.loads(data)
    except ValueError as exc:
        raise Malformed(f"not JSON: {exc}") from None
    if isinstance(body, dict):  # one fact, as published before packs
        return [(parse_uuid(header_id) or uuid.uuid4(), body)]
    if not isinstance(body, list):
        raise Malformed("neither a fact nor a pack of facts")
    pairs = []
    for item in body:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise Malformed("a pack item that is not [message id, fact]")
        fact_id = parse_uuid(item[0])
        if fact_id is None:
            raise Malformed(f"a pack item with message id {item[0][:40]!r}")
        pairs.append((fact_id, item[1]))
    return pairs


def parse_uuid(text: str | None) -> uuid.UUID | None:
    """The UUID ``text`` spells, or None if it spells none."""
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None
