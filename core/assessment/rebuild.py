"""`hotline assessment rebuild`: the read model recomputed from every tenant's event log.

It holds the assessment lock exclusively, so the consumer waits meanwhile; every event it reads
is marked applied on its record (record rows are written whole), so a fact of the same event
still in flight changes nothing when it arrives, and a fact of an event written after the read
applies as usual. Readers keep seeing the old numbers until the rebuild commits. Then the 督办 desk's
index is written from the records as they are (``core.orders.desk_index.refresh``).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

import asyncpg

from core.assessment.store import RECORD_COLUMNS, add_counters, lock_exclusive, refresh_open_nodes
from core.assessment.tally import Tally
from core.orders import desk_index
from core.orders.announce import LIVE_CHANNEL, overview_notice
from core.orders.facts import PAYLOAD_KEYS, EventView, cohort_day, origin_len, stats_of, step
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
            f"{payload}, o.lead_unit_id FROM \"t_{validate_code(code)}\".orders o "
            f"JOIN \"t_{code}\".order_events e ON e.order_id = o.id {window}GROUP BY o.id)")


def _value(key: str, raw: str | None) -> Any:
    """A payload value as the incremental path saw it (``->>`` gives text)."""
    if raw is None:
        return None
    if key == "to":
        return json.loads(raw)
    if key in ("late", "resolved", "repeat", "reopened", "superseded"):
        return raw == "true"
    return raw


def fold_order(row: asyncpg.Record, tally: Tally) -> tuple[Any, ...]:
    """Fold one order record's events into the tally; returns its ``assess_records`` row."""
    tenant, order_id, created_at = row[0], row[1], row[2]
    ol, day = origin_len(row[3]), cohort_day(created_at)
    seqs, actions, units, times = row[11], row[12], row[13], row[14]
    payloads = row[15:15 + len(PAYLOAD_KEYS)]
    state: dict[str, Any] = {}
    changes: list[Any] = []
    for i, seq in enumerate(seqs):
        payload = {}
        for key, values in zip(PAYLOAD_KEYS, payloads, strict=True):
            if values[i] is not None:
                payload[key] = _value(key, values[i])
        event = EventView(seq, actions[i], units[i], times[i], payload)
        changes += step(state, event)
        if event.action == "register":
            tally.add_intake(stats_of(row[7], row[8], row[9], row[10], event.occurred_at))
    tally.add(tenant, ol, day, changes)  # one record: one tenant, one period
    # The live columns as the record's last fact left them (facts.live_of): open, limit, urged, the unit leading it.
    return (tenant, order_id, ol, day, list(seqs), max(seqs), row[4] in _OPEN, row[5], (row[6] or 0) > 0,
            row[15 + len(PAYLOAD_KEYS)])


def _fold_chunk(dsn: str, codes: list[str], bounds: tuple[Any, ...], staging: str) -> tuple[Tally, int, int]:
    """In a worker process: read and fold these tenants' event logs, COPY their record rows to ``staging``."""
    return asyncio.run(_fold_chunk_async(dsn, codes, bounds, staging))


async def _fold_chunk_async(dsn: str, codes: list[str], bounds: tuple[Any, ...],
                            staging: str) -> tuple[Tally, int, int]:
    tally = Tally()
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(" UNION ALL ".join(_order_sql(c, bool(bounds)) for c in codes), *bounds)
        records = [fold_order(row, tally) for row in rows]
        await conn.copy_records_to_table(staging, records=records, columns=RECORD_COLUMNS, schema_name="public")
    finally:
        await conn.close()
    return tally, len(records), sum(len(row[11]) for row in rows)


async def rebuild(dsn: str, month: tuple[date, date] | None = None, processes: int | None = None) -> RebuildReport:
    """Recompute the read model (all of it, or the records whose period falls in ``month``).

    The event logs are read and folded by ``processes`` worker processes (default: one per core),
    each writing its records to a staging table; one transaction then replaces the read model.
    """
    started = time.perf_counter()
    staging = f"_assess_rebuild_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(dsn)
    try:
        codes = [r[0] for r in await conn.fetch(
            "SELECT code FROM public.tenants WHERE status = 'active' ORDER BY path")]
        bounds: tuple[Any, ...] = ()
        if month:
            bounds = (datetime.combine(month[0], clock_time(), CST), datetime.combine(month[1], clock_time(), CST))
        await conn.execute(f"CREATE UNLOGGED TABLE public.{staging} (LIKE public.assess_records)")
        async with conn.transaction():
            # From here the consumer waits: facts of the events the workers read are not applied twice.
            await lock_exclusive(conn)
            chunks = [codes[i:i + SCHEMAS_PER_QUERY] for i in range(0, len(codes), SCHEMAS_PER_QUERY)]
            tally, orders, events = Tally(), 0, 0
            loop = asyncio.get_running_loop()
            with ProcessPoolExecutor(processes or os.cpu_count() or 2,
                                     mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [loop.run_in_executor(pool, _fold_chunk, dsn, chunk, bounds, staging) for chunk in chunks]
                for part, n_orders, n_events in await asyncio.gather(*futures):
                    tally.merge(part)
                    orders, events = orders + n_orders, events + n_events
            await _clear(conn, month)
            await conn.execute(f"INSERT INTO public.assess_records SELECT * FROM public.{staging}")
            await refresh_open_nodes(conn)
            await add_counters(conn, tally)
            # Every overview watching shows the rebuilt numbers (at commit; a province's code, cut, covers all).
            everything = overview_notice({code[:2] for code in codes}, cut=True)
            await conn.execute("SELECT pg_notify($1, $2)", LIVE_CHANNEL, everything)
        # The 督办 desk's index from the records as they are now (outside the lock: its rows keep their newest
        # state by seq, whatever facts the consumer applies meanwhile).
        await desk_index.refresh(conn, codes)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS public.{staging}")
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
