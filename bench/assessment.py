"""`hotline bench assessment`: a month of orders over a whole province, then rankings and the overview.

Load: every tenant of the province (2,786 for Henan) gets its share of ``orders`` in October 2026,
with event logs written by SQL: register, dispatch to one of three departments, sign (some late),
the citizen called, close (some late), the revisit (satisfied / basically / unsatisfied); about one
in seven still open, some urged; one in five district and town records came from the parent level.

Measured: ``hotline assessment rebuild`` over those event logs (``rebuild_s``; floor: one bare SQL
scan of the same logs, ``raw_scan_s``), then through the real API with real tokens: the province's
ranking of its cities, a city's ranking of all its towns and the province's live overview (p99 of
``repeats`` requests each; floor: the ranking's bare SQL on asyncpg).
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

import asyncpg
import httpx
import psycopg

from bench.scratch import scratch_database
from core.assessment.rebuild import rebuild
from embedded.process import free_port, wait_until
from iam.store import sync_policies
from infra.db import sync_engine
from infra.settings import Settings
from sso.realm import admin_client, sync_realm
from sso.tokens import password_grant
from sso.users import NewUser, create_user
from tenants.divisions import read_province
from tenants.migrate import upgrade_shared
from tenants.service import import_divisions

PASSWORD = "Bench-12345!"
MONTH = "2026-10"


def _fill(url: str, per_tenant: int, codes: list[str]) -> int:
    """Orders and their event logs in every tenant, by SQL; returns how many orders there are."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute(f'SELECT count(*) FROM "t_{codes[-1]}".orders').fetchone()[0]:  # type: ignore[index]
            return per_tenant * len(codes)  # loaded by an earlier run kept with --keep
        for code in codes:
            parent = {4: code[:2], 6: code[:4], 9: code[:6]}.get(len(code))
            origin = f"CASE WHEN g % 5 = 0 THEN '{parent}' END" if parent else "NULL"
            schema = f't_{code}'
            conn.execute(f"""
                INSERT INTO "{schema}".units (code, name, kind) VALUES
                  ('housing', '住建局', 'department'), ('urban', '城管局', 'department'),
                  ('water', '水务局', 'department') ON CONFLICT DO NOTHING;
                INSERT INTO "{schema}".orders (number, query_code, channel, type, category, title, content,
                    division_code, citizen_name, citizen_phone, status, urgency, handle_deadline, created_at,
                    updated_at, origin_tenant, urge_count, search)
                SELECT '{code}-B-' || g, '{code}-B' || g, (ARRAY['phone','web','app','wechat'])[1 + g % 4],
                    (ARRAY['consultation','help','complaint','report','suggestion'])[1 + g % 5],
                    '01' || lpad((1 + g % 15)::text, 2, '0'), '工单' || g, '内容' || g, '{code}', '张三',
                    '139' || lpad(g::text, 8, '0'),
                    CASE WHEN g % 7 = 0 THEN 'signed' ELSE 'closed' END, 'normal',
                    t.at + interval '3 days', t.at, t.at, {origin}, CASE WHEN g % 11 = 0 THEN 1 ELSE 0 END,
                    to_tsvector('simple', '工单')
                FROM generate_series(1, {per_tenant}) AS g,
                     LATERAL (SELECT timestamptz '2026-10-01 00:00+08' + (g % 31) * interval '1 day'
                                     + (g * 37 % 86400) * interval '1 second' AS at) t;
                INSERT INTO "{schema}".order_events (event_id, order_id, seq, action, from_status, to_status, actor,
                    actor_unit_id, actor_tenant, payload, occurred_at, hash)
                SELECT gen_random_uuid(), o.id, e.seq, e.action, NULL, o.status, 'bench', e.unit, '{code}',
                       e.payload::jsonb, o.created_at + e.seq * interval '1 hour', '\\x00'::bytea
                FROM "{schema}".orders o,
                     LATERAL (SELECT o.id % 3 + 1 AS u, o.id % 7 = 0 AS open) k,
                     LATERAL (VALUES
                        (1, CASE WHEN o.origin_tenant IS NULL THEN 'register' ELSE 'dispatch-received' END, NULL,
                            '{{"repeat": ' || (o.id % 20 = 0)::text || '}}'),
                        (2, 'dispatch', NULL, '{{"to": ' || k.u || '}}'),
                        (3, 'sign', k.u, '{{"late": ' || (o.id % 10 = 0)::text || '}}'),
                        (4, CASE WHEN k.open THEN CASE WHEN o.urge_count > 0 THEN 'urge' ELSE 'extend' END
                                 ELSE 'contact' END, k.u, '{{}}'),
                        (5, CASE WHEN k.open THEN 'overdue' ELSE 'close' END, NULL,
                            '{{"late": ' || (o.id % 8 = 0)::text || '}}'),
                        (6, CASE WHEN k.open THEN 'extend' ELSE 'revisit' END, NULL,
                            '{{"satisfaction": "' || (ARRAY['satisfied','satisfied','basically_satisfied',
                            'unsatisfied','satisfied'])[1 + o.id % 5] || '"}}')
                     ) AS e(seq, action, unit, payload);
                ANALYZE "{schema}".orders;""")
        return per_tenant * len(codes)


async def _p99(client: httpx.AsyncClient, path: str, params: dict[str, str], headers: dict[str, str],
               repeats: int) -> float:
    latencies = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return statistics.quantiles(latencies, n=100)[98] * 1000


async def _raw_rank_p99(url: str, nodes: list[str], repeats: int) -> float:
    """The floor: the ranking's one aggregate query, bare, on asyncpg."""
    conn = await asyncpg.connect(url)
    latencies = []
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            await conn.fetch("SELECT node, sum(received), sum(signed_in_time), sum(sign_due), sum(rated), "
                             "sum(satisfied) FROM public.assess_node_day WHERE node = ANY($1::text[]) "
                             "AND day >= '2026-10-01' AND day < '2026-11-01' GROUP BY node", nodes)
            latencies.append(time.perf_counter() - t0)
    finally:
        await conn.close()
    return statistics.quantiles(latencies, n=100)[98] * 1000


def _raw_scan(url: str, codes: list[str]) -> float:
    """The floor of a rebuild: one bare SQL pass reading every event log (nothing folded, nothing written)."""
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn:
        for start in range(0, len(codes), 100):
            conn.execute(" UNION ALL ".join(
                f'(SELECT count(*), sum(length(e.action)) FROM "t_{c}".order_events e)'
                for c in codes[start:start + 100])).fetchall()
    return time.perf_counter() - t0


def run(settings: Settings, *, json_out: bool = False, orders: int = 1_000_000, province: str = "41",
        repeats: int = 200, keep: bool = False) -> dict[str, object]:
    from cli.output import console

    divisions = read_province(settings.divisions_dir, province)
    codes = [d.code for d in divisions]
    city = next(c for c in codes if len(c) == 4)
    with scratch_database(settings, "bench_assessment", name="bench_assessment", keep=keep) as bench:
        engine = sync_engine(bench)
        upgrade_shared(engine)
        with psycopg.connect(bench.postgres_url) as conn:
            have = conn.execute("SELECT count(*) FROM public.tenants").fetchone()[0]  # type: ignore[index]
        if have < len(codes):
            console.print(f"provisioning {len(codes):,} tenants …")
            import_divisions(bench, engine, divisions)
        sync_policies(engine)
        console.print(f"loading {orders:,} orders with their event logs …")
        t0 = time.perf_counter()
        loaded = _fill(bench.postgres_url, max(1, orders // len(codes)), codes)
        load_s = time.perf_counter() - t0
        raw_scan_s = _raw_scan(bench.postgres_url, codes)
        report = asyncio.run(rebuild(bench.postgres_url))
        console.print(f"rebuilt from {report.events:,} events in {report.seconds:.1f} s")
        result: dict[str, object] = {"orders": loaded, "events": report.events, "tenants": len(codes),
                                     "load_s": round(load_s, 1), "rebuild_s": report.seconds,
                                     "raw_scan_s": round(raw_scan_s, 2)}
        result |= _through_api(bench, engine, province, city, repeats)
        cities = [c for c in codes if len(c) == 4]
        result["raw_province_rank_ms"] = round(asyncio.run(_raw_rank_p99(bench.postgres_url, cities, repeats)), 2)
        engine.dispose()
    result |= {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "repeats": repeats}
    console.print(
        f"{result['orders']:,} orders, {result['events']:,} events: rebuild {result['rebuild_s']} s "
        f"(bare scan of the logs {result['raw_scan_s']} s); p99 province ranking {result['province_rank_ms']} ms "
        f"(bare SQL {result['raw_province_rank_ms']} ms), city ranking of its towns {result['city_rank_ms']} ms, "
        f"overview {result['overview_ms']} ms")
    if json_out:
        print(json.dumps(result))
    return result


def _through_api(bench: Settings, engine: object, province: str, city: str, repeats: int) -> dict[str, object]:
    sync_realm(bench)
    kc = admin_client(bench)
    people = {}
    for code in (province, city):
        name = f"bench-assess-{code}-{uuid.uuid4().hex[:6]}"
        create_user(kc, engine, NewUser(name, PASSWORD, code, ["supervisor"]))  # type: ignore[arg-type]
        people[code] = name
    port = free_port()
    env = {**os.environ, **bench.as_env(), "HOTLINE_API_PORT": str(port)}
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory", "--host",
                            "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        if not wait_until(lambda: _answers(base), 30):
            raise RuntimeError("the API did not start")
        tokens = {code: password_grant(bench.issuer, name, PASSWORD)["access_token"] for code, name in people.items()}
        return asyncio.run(_measure(base, province, city, tokens, repeats))
    finally:
        for name in people.values():
            kc.delete_user(kc.get_user_id(name))
        api.terminate()
        api.wait(10)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _measure(base: str, province: str, city: str, tokens: dict[str, str], repeats: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        prov = {"Authorization": f"Bearer {tokens[province]}"}
        cty = {"Authorization": f"Bearer {tokens[city]}"}
        # A first request of each warms the caches a long-running API has warm anyway.
        for path, params, headers in ((f"/api/v1/tenants/{province}/assessment", {"period": MONTH}, prov),
                                      (f"/api/v1/tenants/{city}/assessment", {"period": MONTH, "level": "town"}, cty),
                                      (f"/api/v1/tenants/{province}/overview", {}, prov)):
            await client.get(path, params=params, headers=headers)
        return {
            "province_rank_ms": round(await _p99(client, f"/api/v1/tenants/{province}/assessment",
                                                 {"period": MONTH}, prov, repeats), 2),
            "city_rank_ms": round(await _p99(client, f"/api/v1/tenants/{city}/assessment",
                                             {"period": MONTH, "level": "town"}, cty, repeats), 2),
            "overview_ms": round(await _p99(client, f"/api/v1/tenants/{province}/overview", {}, prov, repeats), 2),
        }
