"""判重: likely duplicates of a new order, scored so the operator can decide to merge.

Candidates (recent, still open or just closed): the same phone, or the same division with a
category of the same major, or sharing the rarest bigrams of the title. Each is scored:
same phone 0.35, same division 0.15, same category 0.2 (same major 0.1), text similarity
(bigram Jaccard of title and content) × 0.4 — and suggested from 0.45 up.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.models import Order
from core.orders.schemas import DuplicateCandidate
from core.orders.text import grams, search_query, similarity

THRESHOLD = 0.45
MAX_CANDIDATES = 20
MAX_SUGGESTIONS = 5


async def find_duplicates(session: AsyncSession, order: Order, window_days: int) -> list[DuplicateCandidate]:
    since = order.created_at - timedelta(days=window_days)
    major = (order.category or "")[:2]
    matches = []
    if order.citizen_phone:
        matches.append(Order.citizen_phone == order.citizen_phone)
    if order.division_code:
        matches.append(and_(Order.division_code == order.division_code, Order.category.startswith(major)))
    title_query = search_query(order.title)
    if title_query:
        matches.append(Order.search.op("@@")(func.to_tsquery("simple", title_query)))
    candidates = (await session.execute(
        select(Order.number, Order.title, Order.content, Order.status, Order.created_at, Order.citizen_phone,
               Order.division_code, Order.category)
        .where(Order.id != order.id, Order.created_at >= since, Order.status != "merged", or_(*matches))
        .order_by(Order.created_at.desc()).limit(MAX_CANDIDATES)
    )).all()
    own_grams = grams(f"{order.title} {order.content}")
    scored = []
    for other in candidates:
        score, reasons = 0.0, []
        if order.citizen_phone and other.citizen_phone == order.citizen_phone:
            score, reasons = score + 0.35, [*reasons, "same_phone"]
        if order.division_code and other.division_code == order.division_code:
            score, reasons = score + 0.15, [*reasons, "same_division"]
        if other.category == order.category:
            score, reasons = score + 0.2, [*reasons, "same_category"]
        elif (other.category or "")[:2] == major:
            score, reasons = score + 0.1, [*reasons, "related_category"]
        text_score = similarity(own_grams, f"{other.title} {other.content}")
        if text_score > 0.2:
            reasons.append("similar_text")
        score += 0.4 * text_score
        if score >= THRESHOLD:
            scored.append(DuplicateCandidate(number=other.number, title=other.title, status=other.status,
                                             created_at=other.created_at, score=round(min(score, 1.0), 3),
                                             reasons=reasons))
    scored.sort(key=lambda c: c.score, reverse=True)
    return scored[:MAX_SUGGESTIONS]
