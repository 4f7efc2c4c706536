"""`hotline bench dispatch`: city → district → town dispatch chains through real workers.

A fresh database with a province, a city, a district and a town; `hotline worker` processes
running. Orders are registered at the city, then dispatched to the district at a steady rate;
the district's centre signs and dispatches each on to the town as soon as it arrives (the
service layer, as a dispatcher would). Latency: from the city's commit to the town's record
being visible. Floors in the same run: a raw JetStream publish → pull-consume round trip, and the
same chains in hand-written SQL at the same offered rate (``bench.dispatch_floor``).
Also reported: CPU milliseconds per chain spent by the bench (the staff's transactions), by the
workers and by the whole machine (PostgreSQL, NATS and the kernel included), over the dispatch
phase; on two cores, 100 chains/s (200 dispatches/s) leaves 20 ms per chain for everything.
Latency, throughput and CPU are of the steady state: two seconds of chains at the same rate run first
and are awaited (``bench.load.WARMUP_S``); their p99 is reported apart, as ``cold_p99_ms``.
``hops_p50_p99_ms`` splits each chain's latency in three: down to the district (the city's commit to the
district's centre hearing of its record), the district's staff (signing and dispatching on, to the
commit), and down to the town. A tail in one hop points at that stage; the same tail in all three, at
the cores being busy.

The city, the district and the town start with ``records`` closed records each of past orders (default
100,000, a year of a busy district): the city's its own, each once dispatched to the district; the
district's from the city, each once dispatched on to the town; the town's from the district. A lookup
that scans instead of using an index shows here, not first in production; and, as in a deployment that
has run for a while, every table has statistics before the chains start.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import uvloop
from sqlalchemy import select

from bench.dispatch_floor import run_floor
from bench.load import Chains, cpu_s, machine_busy_s, run_chains, warmup_chains
from bench.scratch import scratch_database, tenant_tree
from core.categories.service import CategoryStore
from core.orders.intake import register
from core.orders.lifecycle import Action
from core.orders.schemas import ActionRequest, OrderCreate
from core.orders.service import Context, act_and_commit
from core.orders.step import order_step
from core.sla.service import SlaStore
from embedded.nats import answers
from embedded.process import ServiceError
from federation.transport import connect
from iam.actors import Actor, Role
from infra.db import Database
from infra.settings import Settings
from tenants.divisions import Division
from tenants.models import Tenant

CITY, DISTRICT, TOWN = "4101", "410102", "410102001"

# The bench's own instruments, in its scratch database only: the district's centre hears of each order the
# city dispatched to it (its number), the watcher hears of each town record (the city's number).
_ARRIVAL_TRIGGERS = f"""
CREATE FUNCTION public.bench_at_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'dispatched' AND NEW.origin_tenant = '{CITY}' AND NEW.assigned_tenant IS NULL
     AND NEW.lead_unit_id IS NULL THEN
    PERFORM pg_notify('bench_district', NEW.number || ' ' || NEW.origin_number);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_at_district AFTER INSERT ON t_{DISTRICT}.orders
  FOR EACH ROW EXECUTE FUNCTION public.bench_at_district();
CREATE FUNCTION public.bench_at_town() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('bench_town', (SELECT origin_number FROM t_{DISTRICT}.orders WHERE number = NEW.origin_number));
  RETURN NULL;
END $$;
CREATE TRIGGER bench_at_town AFTER INSERT ON t_{TOWN}.orders FOR EACH ROW EXECUTE FUNCTION public.bench_at_town();
"""


# Past orders, closed long ago, from the level above ({origin}: NULL at the city) and, but at the town, each
# once dispatched to the level below ({below}): set-based, a few seconds for 100,000 rows.
_PAST_RECORDS = """
INSERT INTO {schema}.orders (number, query_code, channel, type, title, content, status, outcome, origin_tenant,
                             origin_number, created_at, updated_at, closed_at)
SELECT '{code}-2025' || lpad(g::text, 8, '0'), 'P{code}' || g, 'phone', 'help', '路灯不亮', '市民反映路灯不亮',
       'closed', 'resolved', {origin}, {origin} || '-2025' || lpad(g::text, 8, '0'),
       now() - interval '300 days', now() - interval '300 days', now() - interval '299 days'
FROM generate_series(1, {n}) g;
INSERT INTO {schema}.order_assignments (order_id, tenant_code, role, status, assigned_at, signed_at, replied_at,
                                        ended_at)
SELECT id, {below}, 'lead', 'closed', created_at, created_at, closed_at, closed_at FROM {schema}.orders
WHERE {below} IS NOT NULL;
"""


def _literal(code: str | None) -> str:
    """A tenant code as an SQL literal (the bench's own codes: digits), or NULL."""
    return "NULL" if code is None else f"'{code}'"


def _order_body(i: int) -> OrderCreate:
    return OrderCreate.model_validate({
        "channel": "phone", "type": "help", "category": "0101", "title": f"路灯不亮{i}",
        "content": f"市民反映路灯不亮，编号{i}", "division_code": TOWN,
        "citizen": {"name": "李四", "phone": f"138{i % 100000000:08d}"}})


class Desk:
    """Acting through the service layer for one tenant, as its staff would."""

    def __init__(self, db: Database, tenant: Tenant, roles: set[Role], seats: asyncio.Semaphore) -> None:
        self.db, self.tenant, self.seats = db, tenant, seats
        self.actor = Actor(user=f"bench@{tenant.code}", tenant=tenant.code, roles=frozenset(roles), home=tenant.path)
        self.sla, self.categories = SlaStore(), CategoryStore()

    async def context(self, session) -> Context:  # type: ignore[no-untyped-def]
        return Context(session=session, tenant=self.tenant, actor=self.actor, rules=await self.sla.rules(session),
                       categories=await self.categories.visible(session, self.tenant.code),
                       now=datetime.now(UTC))

    async def register(self, i: int) -> str:
        async with self.db.tenant_session(self.tenant.schema_name) as session:
            ctx = await self.context(session)
            async with order_step(session):
                done = await register(ctx, _order_body(i))
            return done.order.number

    async def act(self, number: str, action: Action, **fields: object) -> None:
        # Past saturation the staff's steps queue for a seat, not for a pooled connection that times out.
        async with self.seats, self.db.tenant_session(self.tenant.schema_name) as session:
            await act_and_commit(await self.context(session), number, action,
                                 ActionRequest(**fields))  # type: ignore[arg-type]


async def _raw_roundtrip(bench: Settings, n: int = 300) -> float:
    # A stream of its own, outside any namespace: the admin's to create and delete.
    nc = await connect(bench, "bench-raw", "admin")
    js = nc.jetstream()
    stream = f"BENCH_{uuid.uuid4().hex[:6].upper()}"
    await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
    sub = await js.pull_subscribe(f"{stream.lower()}.x", durable="bench")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        await js.publish(f"{stream.lower()}.x", b"{}", headers={"Nats-Msg-Id": f"{i}"})
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.ack()
        times.append(time.perf_counter() - t0)
    await js.delete_stream(stream)
    await nc.drain()
    return statistics.median(times) * 1000


async def _measure(bench: Settings, rate: float, seconds: float, worker_pids: list[int]) -> dict[str, object]:
    db = Database(bench)
    async with db.shared_session() as session:
        tenants = {t.code: t for t in (await session.scalars(select(Tenant))).all()}
    seats = asyncio.Semaphore(bench.db_pool_size)  # the pool's connections
    city = Desk(db, tenants[CITY], {Role.operator, Role.dispatcher}, seats)
    district = Desk(db, tenants[DISTRICT], {Role.dispatcher}, seats)
    total, warm = int(rate * seconds), warmup_chains(rate)
    numbers = [await city.register(i) for i in range(warm + total)]
    committed: dict[str, float] = {}
    # Per chain (the city's number): when the district's centre heard of it, and when its dispatch on committed.
    heard: dict[str, float] = {}
    passed_on: dict[str, float] = {}
    # The bench learns of each arrival from a NOTIFY sent by a trigger of its own scratch database (delivered
    # at the commit, so at the moment the row is visible), not by polling: watching must not take CPU from
    # the two cores the platform runs on.
    listener = await asyncpg.connect(bench.postgres_url)
    await listener.execute(_ARRIVAL_TRIGGERS)
    # Statistics, as autovacuum keeps them in a live deployment. Without them the city's orders (registered
    # just now) and the federation tables (empty until now) are planned as the tiny tables they were, with
    # sequential scans, and the plans cached by every connection stay so until autovacuum first analyzes this
    # new database, up to a minute into the run: the run would measure that moment instead of the platform.
    await listener.execute("ANALYZE")

    async def forward_one(numbers: str) -> None:  # the district's centre: sign, dispatch on to the town
        number, chain = numbers.split()  # the district's record, the city's order
        heard[chain] = time.perf_counter()
        await district.act(number, Action.sign)
        await district.act(number, Action.dispatch, to=TOWN)
        passed_on[chain] = time.perf_counter()

    async def dispatch(number: str) -> None:
        await city.act(number, Action.dispatch, to=DISTRICT)
        committed[number] = time.perf_counter()

    async def phase(batch: list[str], timeout: float) -> Chains:
        return await run_chains(listener, batch, rate, dispatch, ("bench_district", forward_one), "bench_town",
                                timeout, "the town")

    try:
        cold = await phase(numbers[:warm], 60)
        started = time.perf_counter()
        cpu_before = time.process_time(), sum(cpu_s(pid) for pid in worker_pids), machine_busy_s()
        chains = await phase(numbers[warm:], seconds * 10 + 60)
    finally:
        await listener.close()
    arrived = chains.arrived_at
    elapsed = max(arrived.values()) - started
    # Where the CPU went: the bench plays the city's and the district's staff; the workers do the rest.
    bench_cpu, workers_cpu = time.process_time() - cpu_before[0], sum(map(cpu_s, worker_pids)) - cpu_before[1]
    machine_cpu = machine_busy_s() - cpu_before[2]  # PostgreSQL and NATS too, and whatever else runs
    latencies = [arrived[n] - committed[n] for n in numbers[warm:]]
    await db.dispose()
    q = statistics.quantiles(latencies, n=100)
    measured = numbers[warm:]
    hops = {"to_district": [heard[n] - committed[n] for n in measured],
            "district_staff": [passed_on[n] - heard[n] for n in measured],
            "to_town": [arrived[n] - passed_on[n] for n in measured]}
    cold_q = statistics.quantiles([cold.arrived_at[n] - committed[n] for n in numbers[:warm]], n=100)
    return {"chains": total, "dispatches_per_s": round(2 * total / elapsed, 1), "offered_rate": rate,
            "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "hops_p50_p99_ms": {hop: [round(statistics.median(t) * 1000, 1),
                                      round(statistics.quantiles(t, n=100)[98] * 1000, 1)] for hop, t in hops.items()},
            "cold_chains": warm, "cold_p99_ms": round(cold_q[98] * 1000, 1),
            "cpu_ms_per_chain": {"bench": round(bench_cpu / total * 1000, 1),
                                 "workers": round(workers_cpu / total * 1000, 1),
                                 "machine": round(machine_cpu / total * 1000, 1)}}


def run(settings: Settings, *, json_out: bool = False, rate: float = 50.0, seconds: float = 10.0,
        workers: int = 2, records: int = 100_000) -> dict[str, object]:
    from cli.output import console

    if not answers(settings.effective_nats_url):  # else the workers wait for it and no chain ever arrives
        raise ServiceError(f"no NATS answers at {settings.effective_nats_url}: the bench's workers need it. Start the "
                           "platform with `hotline up --detach`, or set HOTLINE_NATS_URL.")
    with scratch_database(settings, "bench_dispatch") as bench:
        result = _run(bench, rate, seconds, workers, records)
    result |= {"records_held": records, "workers": workers,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    console.print(f"{result['chains']} city → district → town chains at {rate}/s offered: "
                  f"{result['dispatches_per_s']} dispatches/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
                  f"(commit at the city → visible at the town; the first {result['cold_chains']} chains, from "
                  f"cold, p99 {result['cold_p99_ms']} ms); raw JetStream round trip p50 "
                  f"{result['raw_roundtrip_p50_ms']} ms; CPU per chain {result['cpu_ms_per_chain']}")
    console.print(f"floor (the same chains in hand-written SQL, same rate): {result['floor']}; the platform spends "
                  f"{result['cpu_vs_floor']}× the floor's machine CPU per chain")
    if json_out:
        print(json.dumps(result))
    return result


def _run(bench: Settings, rate: float, seconds: float, workers: int, records: int) -> dict[str, object]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        engine = tenant_tree(bench, [Division("41", "河南省"), Division(CITY, "郑州市"), Division(DISTRICT, "中原区"),
                                     Division(TOWN, "林山寨街道")])
        if records:
            with engine.begin() as conn:
                for code, origin, below in ((CITY, None, DISTRICT), (DISTRICT, CITY, TOWN), (TOWN, DISTRICT, None)):
                    conn.exec_driver_sql(_PAST_RECORDS.format(schema=f"t_{code}", code=code, origin=_literal(origin),
                                                              below=_literal(below), n=int(records)))
        engine.dispose()
        env = {**os.environ, **bench.as_env()}
        procs = [subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        time.sleep(2)
        # On uvloop, as the API the staff stand for (uvicorn picks it) and the workers run.
        result = uvloop.run(_measure(bench, rate, seconds, [proc.pid for proc in procs]))
        result["raw_roundtrip_p50_ms"] = round(asyncio.run(_raw_roundtrip(bench)), 2)
    finally:
        for proc in procs:  # a worker left behind would consume this NATS's messages for a dropped database
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    # The floor runs once the platform's workers are gone, so that they take none of its CPU.
    floor = run_floor(bench, rate, seconds, workers, records)
    result["floor"] = floor
    result["cpu_vs_floor"] = round(result["cpu_ms_per_chain"]["machine"]  # type: ignore[index]
                                   / max(floor["machine_cpu_ms_per_chain"], 0.1), 1)  # type: ignore[arg-type]
    return result
