"""`hotline bench intake`: registering orders over HTTP as operators do, against raw inserts in the same run.

1. A fresh database with a small tree (province, one city, one district), an operator of each
   in Keycloak with a real token (validation and permission checks on), and a running API
   (uvicorn, a process of its own) on it.
2. Ours: concurrent clients POST orders for a while: the maximum orders/s; then an open
   loop at half that rate: p50 and p99 latency.
3. Floor: the same rows (the order with its search vector, its first event) inserted raw
   with asyncpg, one transaction each, from as many concurrent connections.
4. A filtered list page (status + type, 50 rows) on a tenant holding millions of orders.
5. The ceiling of the HTTP stack itself: the same clients POST bodies of an order's size with the same token
   to a route of the bench's own that does no work (bench/intake_api.py); `ceiling_ratio` is ours over it.
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
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import psycopg

from bench.intake_api import NOOP_PATH
from bench.scratch import scratch_database, tenant_tree
from core.orders.text import search_document
from embedded.process import free_port, wait_until
from infra.settings import Settings
from sso.realm import admin_client, sync_realm
from sso.tokens import password_grant
from sso.users import NewUser, create_user
from tenants.divisions import Division

TENANT, LIST_TENANT = "4101", "410102"
PASSWORD = "Bench-12345!"
# Filled in by run(): real Keycloak tokens of an operator in each tenant.
HEADERS: dict[str, str] = {}
LIST_HEADERS: dict[str, str] = {}
TITLES = ["小区停水", "噪音扰民", "道路积水", "路灯不亮", "占道经营", "物业纠纷", "拖欠工资", "违章建筑"]


def body(i: int) -> dict[str, object]:
    title = TITLES[i % len(TITLES)]
    return {
        "channel": "phone", "type": "complaint", "category": "0101", "title": f"{title}{i}",
        "content": f"市民反映{title}问题，编号{i}，请尽快处理。", "address": f"金水区花园路{i % 500}号",
        "division_code": TENANT, "urgency": "normal",
        "citizen": {"name": "张三", "phone": f"139{i % 100000000:08d}", "callback": True},
    }


async def _closed_loop(client: httpx.AsyncClient, seconds: float, concurrency: int) -> tuple[int, float]:
    done = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            r = await client.post(f"/api/v1/tenants/{TENANT}/orders", json=body(next(counter)), headers=HEADERS)
            if r.status_code != 201:
                raise RuntimeError(f"intake failed: {r.status_code} {r.text[:200]}")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, time.perf_counter() - started


async def _ceiling(client: httpx.AsyncClient, seconds: float, concurrency: int) -> float:
    """Requests/s of a POST of an order's body, with the operator's token, to a route that does no work: what
    this HTTP stack and harness allow at all, with the same clients."""
    done = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(2 * 10**9, 3 * 10**9))

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            r = await client.post(NOOP_PATH, json=body(next(counter)), headers=HEADERS)
            if r.status_code != 201:
                raise RuntimeError(f"no-op POST failed: {r.status_code} {r.text[:200]}")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def _open_loop(client: httpx.AsyncClient, rate: float, seconds: float) -> list[float]:
    latencies: list[float] = []

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        r = await client.post(f"/api/v1/tenants/{TENANT}/orders", json=body(10**7 + i), headers=HEADERS)
        if r.status_code != 201:
            raise RuntimeError(f"intake failed: {r.status_code}")
        latencies.append(time.perf_counter() - t0)

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return latencies


async def _raw(url: str, seconds: float, concurrency: int) -> float:
    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    schema = f"t_{TENANT}"
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal done
        i = w * 10**6
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                i += 1
                b = body(i)
                now = datetime.now(UTC)
                async with conn.transaction():
                    oid = await conn.fetchval(f"SELECT nextval('{schema}.orders_id_seq')")
                    await conn.execute(
                        f"INSERT INTO {schema}.orders (id, number, query_code, channel, type, category, title, "
                        "content, address, division_code, citizen_name, citizen_phone, anonymous, callback, urgency, "
                        "status, handle_deadline, deadline_estimated, repeat_count, urge_count, reopen_count, "
                        "created_at, updated_at, search) VALUES ($1,$2,$3,'phone','complaint','0101',$4,$5,$6,$7,"
                        "'张三',$8,false,true,'normal','registered',$9,false,0,0,0,$10,$10,"
                        "to_tsvector('simple',$11))",
                        oid, f"raw-{oid}", f"raw-{uuid.uuid4().hex[:12]}", b["title"], b["content"], b["address"],
                        TENANT, b["citizen"]["phone"], now + timedelta(days=21), now,  # type: ignore[index]
                        search_document(str(b["title"]), str(b["content"]), str(b["address"])))
                    await conn.execute(
                        f"INSERT INTO {schema}.order_events (event_id, order_id, seq, action, to_status, actor, "
                        "actor_tenant, payload, occurred_at, hash) VALUES ($1,$2,1,'register','registered',"
                        "'bench',$3,'{}',$4,$5)", uuid.uuid4(), oid, TENANT, now, os.urandom(32))
                done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return done / elapsed


def _fill_list_tenant(url: str, orders: int) -> None:
    """Millions of orders in one tenant, written by SQL (two years, mixed types and states)."""
    schema = f"t_{LIST_TENANT}"
    with psycopg.connect(url, autocommit=True) as conn:
        have = conn.execute(f"SELECT count(*) FROM {schema}.orders").fetchone()[0]  # type: ignore[index]
        step = 500_000
        for start in range(have, orders, step):
            end = min(start + step, orders)
            conn.execute(f"""
                INSERT INTO {schema}.orders (number, query_code, channel, type, category, title, content,
                    division_code, citizen_name, citizen_phone, status, urgency, handle_deadline, created_at,
                    updated_at, search)
                SELECT '{LIST_TENANT}-L-' || g, 'L' || g, (ARRAY['phone','web','app','wechat'])[1 + g % 4],
                    (ARRAY['consultation','help','complaint','report','suggestion','praise'])[1 + g % 6],
                    '01' || lpad((1 + g % 15)::text, 2, '0'), '工单' || g, '内容' || g, '{LIST_TENANT}', '张三',
                    '139' || lpad((g % 100000000)::text, 8, '0'),
                    (ARRAY['registered','dispatched','signed','replied','closed','closed','closed'])[1 + g % 7],
                    'normal', now() - (g % 730) * interval '1 day' + interval '10 days',
                    now() - (g % 730) * interval '1 day' - (g % 86400) * interval '1 second', now(),
                    to_tsvector('simple', '工单')
                FROM generate_series({start + 1}, {end}) AS g""")
        conn.execute(f"ANALYZE {schema}.orders")


async def _list_p99(client: httpx.AsyncClient, requests: int) -> float:
    latencies = []
    params_choices = [{"status": "registered", "type": "complaint"}, {"status": "closed", "channel": "wechat"},
                      {"type": "help", "category": "0102"}, {"status": "signed"}]
    for i in range(requests):
        params = {**params_choices[i % len(params_choices)], "limit": 50}
        t0 = time.perf_counter()
        r = await client.get(f"/api/v1/tenants/{LIST_TENANT}/orders", params=params, headers=LIST_HEADERS)
        latencies.append(time.perf_counter() - t0)
        if r.status_code != 200 or not r.json()["items"]:
            raise RuntimeError(f"list failed: {r.status_code} {r.text[:200]}")
        if i % 3 == 0 and r.json()["next_cursor"]:  # the next page too, as a person paging would
            t0 = time.perf_counter()
            await client.get(f"/api/v1/tenants/{LIST_TENANT}/orders", headers=LIST_HEADERS,
                             params={**params, "cursor": r.json()["next_cursor"]})
            latencies.append(time.perf_counter() - t0)
    return statistics.quantiles(latencies, n=100)[98] * 1000


def run(settings: Settings, *, json_out: bool = False, seconds: float = 10.0, concurrency: int = 16,
        list_orders: int = 5_000_000, keep: bool = False, api_workers: int = 1) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_intake", name="bench_intake", keep=keep) as bench:
        result = _run(bench, seconds, concurrency, list_orders, api_workers)
    result |= {"list_orders": list_orders, "concurrency": concurrency, "api_workers": api_workers,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    console.print(
        f"intake over HTTP {result['orders_per_s']:.0f} orders/s, raw asyncpg {result['raw_orders_per_s']:.0f}/s "
        f"(ratio {result['ratio']:.2f}); at half rate p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
        f"list page over {list_orders:,} orders p99 {result['list_p99_ms']:.1f} ms; "
        f"HTTP ceiling (a no-op POST of the same size, token and clients) {result['http_ceiling_per_s']:.0f}/s "
        f"(ours over it {result['ceiling_ratio']:.2f})")
    if json_out:
        print(json.dumps(result))
    return result


def _run(bench: Settings, seconds: float, concurrency: int, list_orders: int, api_workers: int
         ) -> dict[str, object]:
    from cli.output import console

    engine = tenant_tree(bench, [Division("41", "河南省"), Division(TENANT, "郑州市"), Division(LIST_TENANT, "中原区")])
    sync_realm(bench)
    kc = admin_client(bench)
    people = {}
    for code in (TENANT, LIST_TENANT):
        name = f"bench-intake-{code}-{uuid.uuid4().hex[:6]}"
        create_user(kc, engine, NewUser(name, PASSWORD, code, ["operator"]))
        people[code] = name
    engine.dispose()
    console.print(f"filling tenant {LIST_TENANT} with {list_orders:,} orders (kept between runs) …")
    _fill_list_tenant(bench.postgres_url, list_orders)

    port = free_port()
    env = {**os.environ, **bench.as_env(), "HOTLINE_API_PORT": str(port)}
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.intake_api:create_app", "--factory", "--host",
                            "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
                            "--workers", str(api_workers)], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        if not wait_until(lambda: _answers(base), 30):
            raise RuntimeError("the API did not start")
        # Tokens and permission checks are on, as for operators; fetched now, they outlive the run.
        HEADERS["Authorization"] = f"Bearer {_token(bench, people[TENANT])}"
        LIST_HEADERS["Authorization"] = f"Bearer {_token(bench, people[LIST_TENANT])}"
        result = asyncio.run(_measure(base, bench.postgres_url, seconds, concurrency))
    finally:
        for name in people.values():
            kc.delete_user(kc.get_user_id(name))
        api.terminate()
        api.wait(10)
    return result


def _token(settings: Settings, username: str) -> str:
    return password_grant(settings.issuer, username, PASSWORD)["access_token"]


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _measure(base: str, db_url: str, seconds: float, concurrency: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await _closed_loop(client, 2, concurrency)  # warm up: pools, caches, compiled statements
        await _ceiling(client, 1, concurrency)
        # The ceiling next to the intake it bounds, so both see the machine in the same moment.
        ceiling = await _ceiling(client, seconds, concurrency)
        done, elapsed = await _closed_loop(client, seconds, concurrency)
        rate = done / elapsed
        latencies = await _open_loop(client, rate / 2, seconds)
        list_p99 = await _list_p99(client, 200)
    raw = await _raw(db_url, seconds, concurrency)
    q = statistics.quantiles(latencies, n=100)
    return {"orders_per_s": round(rate, 1), "p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "raw_orders_per_s": round(raw, 1), "ratio": round(rate / raw, 3), "list_p99_ms": round(list_p99, 2),
            "http_ceiling_per_s": round(ceiling, 1), "ceiling_ratio": round(rate / ceiling, 3)}
