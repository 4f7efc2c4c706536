"""判重: likely duplicates of a new order, scored so the operator can decide to merge.

Candidates (recent, still open or just closed): the same phone, or the same division with a
category of the same major, or sharing the rarest bigrams of the title. Each is scored:
same phone 0.35, same division 0.15, same category 0.2 (same major 0.1), text similarity
(bigram Jaccard of title and content) × 0.4 — and suggested from 0.45 up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import asyncpg

from core.orders.models import Order
from core.orders.schemas import DuplicateCandidate
from core.orders.text import grams, search_query, similarity

THRESHOLD = 0.45
MAX_CANDIDATES = 20
MAX_SUGGESTIONS = 5
_CANDIDATE_COLUMNS = ("number", "title", "content", "status", "created_at", "citizen_phone", "division_code",
                      "category")


@dataclass(frozen=True, slots=True)
class IntakeReads:
    """What intake reads before it writes: the new order's id, the repeat count (重复诉求), the duplicate
    candidates (判重, unscored)."""

    order_id: int
    repeats: int
    candidates: list[asyncpg.Record]


async def intake_reads(conn: asyncpg.Connection, schema: str, *, since: datetime, phone: str | None,
                       division: str | None, category: str | None, title: str) -> IntakeReads:
    """The new order's id drawn, the earlier orders of the same phone since ``since`` counted, and the
    candidates (recent, not merged, matching as the module's docstring says) read: one round trip, not three."""
    title_query = search_query(title)
    args = _args(since, phone, division, category, title_query)
    records = await conn.fetch(_reads_sql(schema, bool(phone), bool(division), bool(title_query)), *args)
    first = records[0]
    candidates = [] if first["number"] is None else list(records)
    return IntakeReads(int(first["order_id"]), int(first["repeats"]), candidates)


@lru_cache(maxsize=8192)  # one string per schema and kind of order: asyncpg prepares it once per connection
def _reads_sql(schema: str, phone: bool, division: bool, text: bool) -> str:
    orders = f'"{schema}".orders'
    repeats = (f"(SELECT count(*) FROM {orders} WHERE citizen_phone = $2 AND created_at >= $1)"
               if phone else "0")
    # No ``id <> the new id``: the new order is written by the step's closing statement, after this read.
    # MATERIALIZED: nextval runs once, whatever the number of candidate rows.
    return (f"WITH drawn AS MATERIALIZED (SELECT nextval('{orders}_id_seq') AS order_id) "
            f"SELECT drawn.order_id, {repeats} AS repeats, c.* FROM drawn LEFT JOIN LATERAL "
            f"({_candidates_sql(schema, phone, division, text)}) AS c ON true")


@lru_cache(maxsize=8192)
def _candidates_sql(schema: str, phone: bool, division: bool, text: bool) -> str:
    """The candidates (``$1`` the window's start, then the phone, division and major, title query given)."""
    params = iter(range(2, 10))
    matches = []
    if phone:
        matches.append(f"citizen_phone = ${next(params)}")
    if division:
        matches.append(f"(division_code = ${next(params)} AND category LIKE ${next(params)} || '%')")
    if text:
        matches.append(f"search @@ to_tsquery('simple', ${next(params)})")
    return (f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM \"{schema}\".orders WHERE created_at >= $1 "
            f"AND status <> 'merged' AND ({' OR '.join(matches) or 'false'}) "
            f"ORDER BY created_at DESC LIMIT {MAX_CANDIDATES}")


async def candidates(conn: asyncpg.Connection, schema: str, *, since: datetime, phone: str | None,
                     division: str | None, category: str | None, title: str) -> list[asyncpg.Record]:
    """The candidates alone, as intake reads them (判重 before registering: nothing drawn, nothing written)."""
    title_query = search_query(title)
    args = _args(since, phone, division, category, title_query)
    return list(await conn.fetch(_candidates_sql(schema, bool(phone), bool(division), bool(title_query)), *args))


def _args(since: datetime, phone: str | None, division: str | None, category: str | None,
          title_query: str | None) -> list[Any]:
    args: list[Any] = [since]
    if phone:
        args.append(phone)
    if division:
        args += [division, (category or "")[:2]]
    if title_query:
        args.append(title_query)
    return args


def scored(order: Order, candidates: Sequence[Any]) -> list[DuplicateCandidate]:
    """The candidates likely to be duplicates of ``order``, best first (at most MAX_SUGGESTIONS)."""
    major = (order.category or "")[:2]
    own_grams = grams(f"{order.title} {order.content}")
    found = []
    for other in candidates:
        score, reasons = 0.0, []
        if order.citizen_phone and other["citizen_phone"] == order.citizen_phone:
            score, reasons = score + 0.35, [*reasons, "same_phone"]
        if order.division_code and other["division_code"] == order.division_code:
            score, reasons = score + 0.15, [*reasons, "same_division"]
        if other["category"] == order.category:
            score, reasons = score + 0.2, [*reasons, "same_category"]
        elif (other["category"] or "")[:2] == major:
            score, reasons = score + 0.1, [*reasons, "related_category"]
        text_score = similarity(own_grams, f"{other['title']} {other['content']}")
        if text_score > 0.2:
            reasons.append("similar_text")
        score += 0.4 * text_score
        if score >= THRESHOLD:
            found.append(DuplicateCandidate(number=other["number"], title=other["title"], status=other["status"],
                                            created_at=other["created_at"], score=round(min(score, 1.0), 3),
                                            reasons=reasons))
    found.sort(key=lambda c: c.score, reverse=True)
    return found[:MAX_SUGGESTIONS]
