"""The floor of `hotline bench dispatch`: the same chains by hand-written SQL, no platform code.

What a city → district → town chain cannot do without under the platform's guarantees, and nothing
more: each step is one PostgreSQL transaction that changes the record, appends an event and, if it
tells another level, writes an outbox row (NOTIFY at commit); a relay publishes outbox rows to
JetStream (fsync'd, ``sync_interval: always``) with their ids and marks them published; consumers
pull, and per fetch record the message ids in an inbox and apply the effects in one transaction, then
ack. Per chain, as the platform: three staff steps (the city dispatches; the district signs, then
dispatches on), three messages (dispatch down, "signed" up, dispatch down) and their three
applications. Left out: rules, time limits, the hash chain, search text, assessment facts, the ORM.

The tables are plain ones of this floor's own schema in the bench's scratch database, with as many held
records as the platform's run; the NATS stream is its own. Two worker processes, as the platform's
(one relays, both consume), so the floor can use both cores too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

import asyncpg
import uvloop

from bench.load import Chains, machine_busy_s, run_chains, warmup_chains
from federation.transport import connect
from infra.settings import Settings

CITY, DISTRICT, TOWN = "4101", "410102", "410102001"

SCHEMA = """
CREATE SCHEMA floor;
CREATE TABLE floor.orders (id bigserial PRIMARY KEY, tenant text NOT NULL, number text NOT NULL UNIQUE,
    origin text, origin_number text, chain text, status text NOT NULL, title text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX ON floor.orders (origin, origin_number);
CREATE TABLE floor.events (id bigserial PRIMARY KEY, order_id bigint NOT NULL, action text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL);
CREATE INDEX ON floor.events (order_id);
CREATE TABLE floor.outbox (id bigserial PRIMARY KEY, message_id uuid NOT NULL UNIQUE, subject text NOT NULL,
    payload text NOT NULL, published_at timestamptz);
CREATE INDEX ON floor.outbox (id) WHERE published_at IS NULL;
CREATE TABLE floor.inbox (message_id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
INSERT INTO floor.orders (tenant, number, origin, origin_number, status, title)
SELECT t, t || '-past-' || g, o, o || '-past-' || g, 'closed', '路灯不亮'
FROM generate_series(1, {records}) g,
     (VALUES ('{city}', NULL), ('{district}', '{city}'), ('{town}', '{district}')) AS v(t, o);
ANALYZE floor.orders;
CREATE FUNCTION floor.arrived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tenant = '{district}' THEN PERFORM pg_notify('floor_district', NEW.number);
  ELSIF NEW.tenant = '{town}' THEN PERFORM pg_notify('floor_town', NEW.chain);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER arrived AFTER INSERT ON floor.orders FOR EACH ROW EXECUTE FUNCTION floor.arrived();
"""

_SEND = ("WITH sent AS (INSERT INTO floor.outbox (message_id, subject, payload) VALUES ($1, $2, $3) RETURNING id) "
         "SELECT pg_notify('floor_outbox', '') FROM sent")


async def staff_step(conn: asyncpg.Connection, number: str, status: str, action: str, send: tuple[str, dict] | None,
                     prefix: str) -> None:
    """One staff step: the record changes, its event, and the message it sends, in one transaction."""
    async with conn.transaction():
        order_id = await conn.fetchval("UPDATE floor.orders SET status = $2, updated_at = now() WHERE number = $1 "
                                       "RETURNING id", number, status)
        await conn.execute("INSERT INTO floor.events (order_id, action, payload) VALUES ($1, $2, '{}')",
                           order_id, action)
        if send is not None:
            to, body = send
            await conn.execute(_SEND, uuid.uuid4(), f"{prefix}.{to}.{body['kind']}", json.dumps(body))


async def _apply(conn: asyncpg.Connection, tenant: str, body: dict) -> None:
    if body["kind"] == "dispatch":
        number = f"{tenant}-{uuid.uuid4().hex[:12]}"
        order_id = await conn.fetchval(
            "INSERT INTO floor.orders (tenant, number, origin, origin_number, chain, status, title) "
            "VALUES ($1, $2, $3, $4, $5, 'dispatched', $6) RETURNING id",
            tenant, number, body["from"], body["number"], body["chain"], body["title"])
        action = "dispatch-received"
    else:  # signed: the originator's record follows
        order_id = await conn.fetchval("UPDATE floor.orders SET status = 'signed', updated_at = now() "
                                       "WHERE number = $1 RETURNING id", body["origin_number"])
        action = "sign"
    await conn.execute("INSERT INTO floor.events (order_id, action, payload) VALUES ($1, $2, $3)",
                       order_id, action, json.dumps(body))


async def apply_received(conn: asyncpg.Connection, received: list[tuple[uuid.UUID, str, dict]]) -> None:
    """One fetch's messages (id, receiving tenant, body) in one transaction: their ids into the inbox, then
    the effect of each that was not there yet."""
    async with conn.transaction():
        new = {row[0] for row in await conn.fetch(
            "INSERT INTO floor.inbox (message_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING "
            "RETURNING message_id", [message_id for message_id, _, _ in received])}
        for message_id, tenant, body in received:
            if message_id in new:
                await _apply(conn, tenant, body)


async def _consume(pool: asyncpg.Pool, sub) -> None:  # type: ignore[no-untyped-def]
    while True:
        try:
            msgs = await sub.fetch(10, timeout=1)
        except TimeoutError:
            continue
        async with pool.acquire() as conn:
            await apply_received(conn, [(uuid.UUID(msg.headers["Nats-Msg-Id"]), msg.subject.split(".")[-2],
                                         json.loads(msg.data)) for msg in msgs])
        await asyncio.gather(*(msg.ack() for msg in msgs))


async def _relay(pool: asyncpg.Pool, js) -> None:  # type: ignore[no-untyped-def]
    conn = await pool.acquire()
    woken = asyncio.Event()
    await conn.add_listener("floor_outbox", lambda *_: woken.set())
    while True:
        woken.clear()
        rows = await conn.fetch("SELECT id, message_id, subject, payload FROM floor.outbox "
                                "WHERE published_at IS NULL ORDER BY id LIMIT 200")
        if rows:
            await asyncio.gather(*(js.publish(row["subject"], row["payload"].encode(),
                                              headers={"Nats-Msg-Id": str(row["message_id"])}) for row in rows))
            await conn.execute("UPDATE floor.outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                               [row["id"] for row in rows])
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), 1)


async def _worker(pg_url: str, stream: str, relay: bool) -> None:
    pool = await asyncpg.create_pool(pg_url, min_size=2, max_size=3)
    # The floor's stream is outside any namespace: the admin's. The bench's settings come in the environment.
    nc = await connect(Settings(), "bench-floor", "admin")
    js = nc.jetstream()
    sub = await js.pull_subscribe(f"{stream.lower()}.>", durable="floor", stream=stream)
    await asyncio.gather(_consume(pool, sub), *([_relay(pool, js)] if relay else []))


async def _measure(pg_url: str, prefix: str, rate: float, seconds: float) -> dict[str, object]:
    conn = await asyncpg.connect(pg_url)
    total, warm = int(rate * seconds), warmup_chains(rate)
    numbers = [f"{CITY}-{i:06d}" for i in range(warm + total)]
    await conn.executemany("INSERT INTO floor.orders (tenant, number, status, title) VALUES ($1, $2, 'registered', "
                           "'路灯不亮')", [(CITY, n) for n in numbers])
    await conn.close()
    staff = await asyncpg.create_pool(pg_url, min_size=4, max_size=15)
    listener = await asyncpg.connect(pg_url)
    committed: dict[str, float] = {}

    async def forward(number: str) -> None:  # the district's centre: sign, then dispatch on to the town
        async with staff.acquire() as c:
            row = await c.fetchrow("SELECT origin_number, chain FROM floor.orders WHERE number = $1", number)
            await staff_step(c, number, "signed", "sign",
                             (CITY, {"kind": "signed", "origin_number": row["origin_number"]}), prefix)
            await staff_step(c, number, "dispatched", "dispatch", (TOWN, {
                "kind": "dispatch", "from": DISTRICT, "number": number, "chain": row["chain"], "title": "路灯不亮"}),
                prefix)

    async def dispatch(number: str) -> None:
        async with staff.acquire() as c:
            await staff_step(c, number, "dispatched", "dispatch", (DISTRICT, {
                "kind": "dispatch", "from": CITY, "number": number, "chain": number, "title": "路灯不亮"}), prefix)
        committed[number] = time.perf_counter()

    async def phase(batch: list[str], timeout: float) -> Chains:
        return await run_chains(listener, batch, rate, dispatch, ("floor_district", forward), "floor_town", timeout,
                                "the town (floor)")

    try:
        await phase(numbers[:warm], 60)  # warm, as the platform's run (bench.load.WARMUP_S)
        started = time.perf_counter()
        machine_before = machine_busy_s()
        chains = await phase(numbers[warm:], seconds * 10 + 60)
    finally:
        await listener.close()
        await staff.close()
    machine_cpu = machine_busy_s() - machine_before
    arrived = chains.arrived_at
    elapsed = max(arrived.values()) - started
    q = statistics.quantiles([arrived[n] - committed[n] for n in numbers[warm:]], n=100)
    return {"dispatches_per_s": round(2 * total / elapsed, 1), "p50_ms": round(q[49] * 1000, 1),
            "p99_ms": round(q[98] * 1000, 1), "machine_cpu_ms_per_chain": round(machine_cpu / total * 1000, 1)}


async def _prepare(bench: Settings, pg_url: str, stream: str, records: int) -> None:
    conn = await asyncpg.connect(pg_url)
    await conn.execute(SCHEMA.format(records=int(records), city=CITY, district=DISTRICT, town=TOWN))
    await conn.close()
    nc = await connect(bench, "bench-floor", "admin")
    await nc.jetstream().add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
    await nc.close()


async def _drop_stream(bench: Settings, stream: str) -> None:
    nc = await connect(bench, "bench-floor", "admin")
    await nc.jetstream().delete_stream(stream)
    await nc.close()


def run_floor(bench: Settings, rate: float, seconds: float, workers: int, records: int) -> dict[str, object]:
    """The floor's chains at the same offered rate, in the bench's scratch database."""
    pg_url = bench.postgres_url
    stream = f"BENCHFLOOR_{uuid.uuid4().hex[:6].upper()}"
    asyncio.run(_prepare(bench, pg_url, stream, records))
    procs = [subprocess.Popen([sys.executable, "-m", "bench.dispatch_floor", pg_url, stream,
                               "relay" if i == 0 else "consume"], env={**os.environ, **bench.as_env()},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(max(1, workers))]
    try:
        time.sleep(2)
        return uvloop.run(_measure(pg_url, stream.lower(), rate, seconds))  # the loop the platform's run uses
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        asyncio.run(_drop_stream(bench, stream))


if __name__ == "__main__":  # a floor worker: python -m bench.dispatch_floor PG_URL STREAM relay|consume
    uvloop.run(_worker(sys.argv[1], sys.argv[2], sys.argv[3] == "relay"))
