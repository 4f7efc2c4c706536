"""`hotline assessment rebuild`: the read model recomputed from every tenant's event log.

It holds the assessment lock exclusively, so the consumer waits meanwhile; every event it reads
is marked applied on its record, so a fact of the same event still in flight changes nothing
when it arrives, and a fact of an event written after the read applies as usual. Readers keep
seeing the old numbers until the rebuild commits.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

import asyncpg

from core.assessment.facts import PAYLOAD_KEYS, EventView, cohort_day, origin_len, stats_of, step
from core.assessment.store import add_counters, lock_exclusive, write_records
from core.assessment.tally import Tally
from core.orders.lifecycle import OPEN
from core.sla.calendar import CST
from tenants.codes import validate_code

SCHEMAS_PER_QUERY = 100
_OPEN = [s.value for s in OPEN]


@dataclass
class RebuildReport:
    tenants: int
    orders: int
    events: int
    seconds: float


def _order_sql(code: str, bounded: bool) -> str:
    payload = ", ".join(
        f"array_agg((e.payload->'{k}')::text ORDER BY e.seq)" if k == "to"
        else f"array_agg(e.payload->>'{k}' ORDER BY e.seq)" for k in PAYLOAD_KEYS)
    window = "WHERE o.created_at >= $1 AND o.created_at < $2 " if bounded else ""
    return (f"(SELECT '{code}'::text, o.id, o.created_at, o.origin_tenant, o.status, o.handle_deadline, "
            "o.urge_count, o.division_code, o.category, o.channel, o.type, "
            "array_agg(e.seq ORDER BY e.seq), array_agg(e.action ORDER BY e.seq), "
            "array_agg(e.actor_unit_id ORDER BY e.seq), array_agg(e.occurred_at ORDER BY e.seq), "
            f"{payload} FROM \"t_{validate_code(code)}\".orders o "
            f"JOIN \"t_{code}\".order_events e ON e.order_id = o.id {window}GROUP BY o.id)")


def _value(key: str, raw: str | None) -> Any:
    """A payload value as the incremental path saw it (``->>`` gives text)."""
    if raw is None:
        return None
    if key == "to":
        return json.loads(raw)
    if key in ("late", "resolved", "repeat", "reopened"):
        return raw == "true"
    return raw


class _Order:
    """Just the attributes ``stats_of`` reads."""

    def __init__(self, row: asyncpg.Record) -> None:
        self.division_code, self.category, self.channel, self.type = row[7], row[8], row[9], row[10]


def fold_order(row: asyncpg.Record, tally: Tally) -> tuple[Any, ...]:
    """Fold one order record's events into the tally; returns its ``assess_records`` row."""
    tenant, order_id, created_at = row[0], row[1], row[2]
    ol, day = origin_len(row[3]), cohort_day(created_at)
    seqs, actions, units, times = row[11], row[12], row[13], row[14]
    payloads = row[15:15 + len(PAYLOAD_KEYS)]
    state: dict[str, Any] = {}
    for i, seq in enumerate(seqs):
        payload = {}
        for key, values in zip(PAYLOAD_KEYS, payloads, strict=True):
            value = _value(key, values[i])
            if value is not None:
                payload[key] = value
        event = EventView(seq, actions[i], units[i], times[i], payload)
        tally.add(tenant, ol, day, step(state, event))
        if event.action == "register":
            tally.add_intake(stats_of(_Order(row), event.occurred_at))  # type: ignore[arg-type]
    return (tenant, order_id, ol, day, list(seqs), max(seqs), row[4] in _OPEN, row[5], (row[6] or 0) > 0)


async def rebuild(dsn: str, month: tuple[date, date] | None = None) -> RebuildReport:
    """Recompute the read model (all of it, or the records whose period falls in ``month``)."""
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        codes = [r[0] for r in await conn.fetch(
            "SELECT code FROM public.tenants WHERE status = 'active' ORDER BY path")]
        bounds: tuple[Any, ...] = ()
        if month:
            bounds = (datetime.combine(month[0], clock_time(), CST), datetime.combine(month[1], clock_time(), CST))
        async with conn.transaction():
            await lock_exclusive(conn)
            await _clear(conn, month)
            tally, orders, events = Tally(), 0, 0
            for start in range(0, len(codes), SCHEMAS_PER_QUERY):
                sql = " UNION ALL ".join(_order_sql(c, bool(month)) for c in codes[start:start + SCHEMAS_PER_QUERY])
                rows = await conn.fetch(sql, *bounds)
                records = [fold_order(row, tally) for row in rows]
                orders += len(records)
                events += sum(len(row[11]) for row in rows)
                await write_records(conn, records)
            await add_counters(conn, tally)
    finally:
        await conn.close()
    return RebuildReport(len(codes), orders, events, round(time.perf_counter() - started, 2))


async def _clear(conn: asyncpg.Connection, month: tuple[date, date] | None) -> None:
    # DELETE, not TRUNCATE: readers keep the old numbers (MVCC) instead of waiting for the lock.
    if month is None:
        for table in ("assess_records", "assess_unit_day", "assess_node_day", "stats_day", "stats_hour"):
            await conn.execute(f"DELETE FROM public.{table}")
        return
    first, following = month
    for table in ("assess_records", "assess_unit_day", "assess_node_day", "stats_day"):
        await conn.execute(f"DELETE FROM public.{table} WHERE day >= $1 AND day < $2", first, following)
    await conn.execute("DELETE FROM public.stats_hour WHERE hour >= $1 AND hour < $2",
                       datetime.combine(first, clock_time(), CST), datetime.combine(following, clock_time(), CST))
