"""`hotline bench prune`: retention over a large outbox and inbox, against one plain DELETE each.

A fresh database holds ``rows`` outbox rows and as many inbox ids, created over 28 days (so half
are past a 14-day retention), plus 499 unpublished rows among the old ones (kept, and their
inbox ids too). Ours: ``federation.retention.prune`` (batches of 10,000, so no statement holds
many locks beside the relay). Ceiling: the same rows deleted by one unbatched DELETE per table, on
the same data rebuilt. Also: how long the relay's read of unpublished rows takes during pruning.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.scratch import scratch_database
from federation.retention import INBOX_MARGIN, prune
from infra.db import sync_engine
from infra.settings import Settings
from tenants.migrate import upgrade_shared

KEEP_DAYS = 14.0

_FILL = """
TRUNCATE public.outbox, public.inbox;
INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload, created_at, published_at)
SELECT md5(g::text)::uuid, '4101', 'hotline.down.dispatch.41.4101.410102', 'dispatch', '{"n": 1}',
       now() - make_interval(secs => 28 * 86400.0 * ($1 - g) / $1),
       CASE WHEN g % ($1 / 1000) = 0 AND g < $1 / 2 THEN NULL
            ELSE now() - make_interval(secs => 28 * 86400.0 * ($1 - g) / $1) + interval '50 milliseconds' END
FROM generate_series(1, $1) g;
INSERT INTO public.inbox (message_id, tenant_code, subject, applied_at)
SELECT md5(g::text)::uuid, '410102', 'hotline.down.dispatch.41.4101.410102',
       now() - make_interval(secs => 28 * 86400.0 * ($1 - g) / $1) + interval '40 milliseconds'
FROM generate_series(1, $1) g;
ANALYZE public.outbox; ANALYZE public.inbox;
"""


async def _fill(conn: asyncpg.Connection, rows: int) -> None:
    for statement in _FILL.strip().split(";\n"):
        if statement.strip():
            await conn.execute(statement, rows) if "$1" in statement else await conn.execute(statement)


async def _relay_reads(url: str, stop: asyncio.Event) -> list[float]:
    """The relay's read of unpublished rows, timed again and again until ``stop``."""
    conn = await asyncpg.connect(url)
    times = []
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            await conn.fetch("SELECT id, message_id, subject, payload::text, kind = 'fact' FROM public.outbox "
                             "WHERE published_at IS NULL ORDER BY kind = 'fact', id LIMIT 500")
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(0.01)
    finally:
        await conn.close()
    return times


async def _measure(url: str, rows: int) -> dict[str, object]:
    conn = await asyncpg.connect(url)
    try:
        await _fill(conn, rows)
        stop = asyncio.Event()
        reads = asyncio.create_task(_relay_reads(url, stop))
        t0 = time.perf_counter()
        pruned = await prune(conn, datetime.now(UTC), KEEP_DAYS)
        ours = time.perf_counter() - t0
        stop.set()
        read_times = await reads
        left = await conn.fetchrow("SELECT (SELECT count(*) FROM public.outbox WHERE published_at IS NULL) AS waiting, "
                                   "(SELECT count(*) FROM public.outbox) AS outbox, "
                                   "(SELECT count(*) FROM public.inbox) AS inbox")

        await _fill(conn, rows)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        await conn.execute("DELETE FROM public.outbox WHERE published_at < $1", now - timedelta(days=KEEP_DAYS))
        await conn.execute("DELETE FROM public.inbox i WHERE applied_at < $1 AND NOT EXISTS (SELECT 1 FROM "
                           "public.outbox o WHERE o.message_id = i.message_id AND o.published_at IS NULL)",
                           now - timedelta(days=KEEP_DAYS) - INBOX_MARGIN)
        raw = time.perf_counter() - t0
    finally:
        await conn.close()
    return {"rows": rows, "pruned_outbox": pruned.outbox, "pruned_inbox": pruned.inbox,
            "kept_unpublished": left["waiting"], "outbox_left": left["outbox"], "inbox_left": left["inbox"],
            "seconds": round(ours, 2), "raw_seconds": round(raw, 2), "ratio": round(ours / raw, 2),
            "relay_read_p50_ms": round(statistics.median(read_times) * 1000, 2),
            "relay_read_max_ms": round(max(read_times) * 1000, 2)}


def run(settings: Settings, *, rows: int = 1_000_000, json_out: bool = False) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_prune") as bench:
        engine = sync_engine(bench)
        upgrade_shared(engine)
        engine.dispose()
        result = asyncio.run(_measure(bench.postgres_url, rows))
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    console.print(f"{rows:,} outbox rows and inbox ids over 28 days: pruned {result['pruned_outbox']:,} + "
                  f"{result['pruned_inbox']:,} in {result['seconds']} s, one plain DELETE each "
                  f"{result['raw_seconds']} s (ratio {result['ratio']}); relay read meanwhile p50 "
                  f"{result['relay_read_p50_ms']} ms, max {result['relay_read_max_ms']} ms")
    if json_out:
        print(json.dumps(result))
    return result
