"""How facts fold into the assessment's read model: two consumers racing on a new record apply each fact once,
a receipt taken back before anyone signed it is not due, and a record's state names what was counted of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.orders.facts import EventView, RecordState, step
from infra.settings import Settings
from tests.assessment_month import QIBIN
from tests.orders_helpers import CITY

CITIES = (CITY,)


async def test_two_consumers_racing_on_a_new_record_apply_each_fact_once(tree: Settings) -> None:
    from core.assessment.store import apply_facts

    def fact(seq: int, changes: list[list[Any]]) -> dict[str, Any]:
        return {"t": QIBIN, "o": 987654, "s": seq, "day": "2026-09-30", "ol": 4, "c": changes,
                "live": {"open": True, "deadline": None, "urged": False}}

    register_, sign = fact(1, [[None, "received", 1]]), fact(2, [[None, "signed_in_time", 1]])
    a = await asyncpg.connect(tree.postgres_url)
    b = await asyncpg.connect(tree.postgres_url)
    try:
        async def apply(conn: asyncpg.Connection, facts: list[dict[str, Any]]) -> None:
            async with conn.transaction():
                await apply_facts(conn, facts)

        # Both see the record for the first time; the same fact arrives at both (a redelivery).
        await asyncio.gather(apply(a, [register_, sign]), apply(b, [register_]))
        await apply(b, [sign])  # and once more, late
        row = await a.fetchrow("SELECT applied FROM public.assess_records WHERE tenant_code = $1 AND order_id = "
                               "987654", QIBIN)
        counts = await a.fetchrow("SELECT received, signed_in_time FROM public.assess_node_day WHERE node = $1 "
                                  "AND day = '2026-09-30'", QIBIN)
    finally:
        await a.close()
        await b.close()
    assert list(row["applied"]) == [1, 2]
    assert (counts["received"], counts["signed_in_time"]) == (1, 1)


def _sign_due_after(*steps: tuple[str, dict[str, Any]]) -> int:
    """The record's sign_due after these (action, payload) steps, folded as the read model folds them."""
    state: dict[str, Any] = {}
    now = datetime.now(UTC)
    changes = [c for seq, (action, payload) in enumerate(steps, 1)
               for c in step(state, EventView(seq, action, None, now, payload))]
    return sum(delta for _, counter, delta in changes if counter == "sign_due")


def test_a_receipt_taken_back_before_anyone_signed_it_is_not_due() -> None:
    received = ("dispatch-received", {})
    assert _sign_due_after(received) == 1
    assert _sign_due_after(received, ("withdraw", {"by_tenant": "4106"})) == 0
    assert _sign_due_after(received, ("sign", {}), ("withdraw", {"by_tenant": "4106"})) == 1
    assert _sign_due_after(received, ("withdraw", {"by_tenant": "4106", "superseded": True})) == 1


def test_the_record_state_names_what_was_counted_of_it() -> None:
    state: RecordState = {}
    now = datetime.now(UTC)
    for seq, (action, payload) in enumerate((("dispatch", {"to": 7}), ("sign", {}), ("overdue", {}),
                                             ("close", {})), 1):
        step(state, EventView(seq, action, 7, now, payload))
    assert state == {"dispatched": True, "holding_unit": 7, "signed": True, "contact_due": True, "overdue": True,
                     "overdue_at": now.isoformat(), "closed": True}
