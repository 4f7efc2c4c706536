"""`hotline bench statements`: what one statement on the hot path costs the client, four ways.

The dispatch bench spends most of its CPU in the processes that issue statements, not in PostgreSQL
(docs/benchmarks/dispatch.md). This measures the client's CPU for the statement every step starts with: an order
loaded by its number under a row lock. Through the ORM (as ``core.orders.service`` did), as a
SQLAlchemy text statement on the same session, through ``core.orders.rows`` (as the service layer and
the appliers do now: asyncpg on the session's own connection, into an ``Order``), and with plain
asyncpg on a connection of its own: the ceiling, measured in the same run. Rounds alternate the four,
so a machine slowing down mid-run slows all of them alike; each figure is the median of its rounds.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import select, text

from bench.scratch import scratch_database, tenant_tree
from core.orders import rows
from core.orders.models import Order
from core.orders.step import order_step
from infra.db import Database
from infra.settings import Settings
from tenants.divisions import Division

CITY = "4101"
NUMBER = f"{CITY}-20261124-000001"
_ORDER = f"""
INSERT INTO t_{CITY}.orders (number, query_code, channel, type, title, content, status, created_at, updated_at)
VALUES ('{NUMBER}', '{CITY}-BENCH0001', 'phone', 'help', '路灯不亮', '市民反映路灯不亮', 'registered',
        now(), now())
"""


async def _cpu_us_per_call(call: Callable[[], Awaitable[object]], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        await call()
    return (time.process_time() - started) / n * 1e6


async def _measure(bench: Settings, n: int, rounds: int) -> dict[str, float]:
    db = Database(bench)
    raw = await asyncpg.connect(bench.postgres_url)
    columns = ", ".join(c.name for c in Order.__table__.columns if c.name != "search")  # what the ORM loads
    sql = f"SELECT {columns} FROM t_{CITY}.orders WHERE number = $1 FOR UPDATE"
    as_text = text(sql.replace("$1", ":n"))
    runs: dict[str, list[float]] = {"orm": [], "sqlalchemy_text": [], "rows": [], "raw_asyncpg": []}
    async with db.tenant_session(f"t_{CITY}") as session:
        for _ in range(rounds):
            # After the first call the order sits in the session's identity map and later loads skip filling
            # it in again: if anything, this flatters the ORM against a step's fresh session.
            async with session.begin():
                runs["orm"].append(await _cpu_us_per_call(lambda: session.scalar(
                    select(Order).where(Order.number == NUMBER).with_for_update()), n))
            async with session.begin():
                runs["sqlalchemy_text"].append(await _cpu_us_per_call(
                    lambda: session.execute(as_text, {"n": NUMBER}), n))
            async with order_step(session):
                runs["rows"].append(await _cpu_us_per_call(lambda: rows.read_for_change(session, number=NUMBER), n))
            async with raw.transaction():
                runs["raw_asyncpg"].append(await _cpu_us_per_call(lambda: raw.fetchrow(sql, NUMBER), n))
    await raw.close()
    await db.dispose()
    return {name: round(statistics.median(values), 1) for name, values in runs.items()}


def run(settings: Settings, *, json_out: bool = False, statements: int = 2000, rounds: int = 5) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_statements") as bench:
        engine = tenant_tree(bench, [Division("41", "河南省"), Division(CITY, "郑州市")])
        with engine.begin() as conn:
            conn.exec_driver_sql(_ORDER)
        engine.dispose()
        us = asyncio.run(_measure(bench, statements, rounds))
    result: dict[str, object] = {
        "orm_select_us": us["orm"], "sqlalchemy_text_us": us["sqlalchemy_text"], "rows_us": us["rows"],
        "raw_asyncpg_us": us["raw_asyncpg"], "orm_vs_raw": round(us["orm"] / us["raw_asyncpg"], 1),
        "rows_vs_raw": round(us["rows"] / us["raw_asyncpg"], 1),
        "text_vs_raw": round(us["sqlalchemy_text"] / us["raw_asyncpg"], 1),
        "statements": statements, "rounds": rounds, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    console.print(f"client CPU per statement (an order loaded by number, FOR UPDATE): ORM {us['orm']} µs, "
                  f"SQLAlchemy text {us['sqlalchemy_text']} µs, core.orders.rows {us['rows']} µs, "
                  f"plain asyncpg {us['raw_asyncpg']} µs (ORM {result['orm_vs_raw']}×, text {result['text_vs_raw']}×, "
                  f"rows {result['rows_vs_raw']}× the ceiling)")
    if json_out:
        print(json.dumps(result))
    return result
