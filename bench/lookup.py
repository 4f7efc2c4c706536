"""`hotline bench lookup`: what the shared rate limits add to a citizen's lookup (进度查询).

On a fresh database, the API in-process (ASGI, no network) answers ``lookups`` lookups one at a time, in rounds
that alternate: ``limited`` as it runs (``LookupLimits`` on ``public.rate_limits``: one statement before the
lookup, one more after a wrong phone) and ``unlimited`` (the limits replaced by ones that admit everything).
Every lookup names a code of an unknown tenant, so each is a miss and pays both statements (a hit pays one).
Also each statement alone, and one ``SELECT 1`` round trip on the same engine for scale.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import text

from app.factory import create_app
from bench.scratch import scratch_database
from core.orders.numbers import new_query_code
from infra.db import sync_engine
from infra.settings import Settings
from tenants.migrate import upgrade_shared

ROUNDS = 5


class _Unlimited:
    async def admit(self, client: str, code: str) -> None:
        return None

    async def wrong_phone(self, client: str, code: str) -> None:
        return None


async def _per_call_ms(call: Callable[[int], Awaitable[object]], n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        await call(i)
    return (time.perf_counter() - t0) * 1000 / n


async def _measure(bench: Settings, lookups: int) -> dict[str, object]:
    app = create_app(bench.model_copy(update={"public_lookups_per_minute": 10**9, "public_wrong_phones_free": 10**9}))
    async with app.router.lifespan_context(app):
        limited = app.state.lookup_limits
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:

            async def lookup(i: int) -> object:
                response = await http.get(f"/api/v1/public/orders/{new_query_code('4106')}",
                                          params={"phone": "13900000000"})
                assert response.status_code == 404, response.text
                return response

            async def select_1(_: int) -> object:
                async with limited.counters.engine.connect() as conn:
                    return await conn.execute(text("SELECT 1"))

            await _per_call_ms(lookup, 200)  # warm: pool, prepared statements
            times: dict[str, list[float]] = {"limited": [], "unlimited": [], "admit": [], "wrong_phone": [],
                                             "select_1": []}
            for _ in range(ROUNDS):
                app.state.lookup_limits = limited
                times["limited"].append(await _per_call_ms(lookup, lookups))
                app.state.lookup_limits = _Unlimited()
                times["unlimited"].append(await _per_call_ms(lookup, lookups))
                times["admit"].append(await _per_call_ms(lambda i: limited.admit(f"198.51.100.{i % 250}",
                                                                                 new_query_code("4106")), lookups))
                times["wrong_phone"].append(await _per_call_ms(lambda i: limited.wrong_phone(
                    f"198.51.100.{i % 250}", new_query_code("4106")), lookups))
                times["select_1"].append(await _per_call_ms(select_1, lookups))
            app.state.lookup_limits = limited
    result: dict[str, object] = {f"{k}_ms": round(statistics.median(v), 3) for k, v in times.items()}
    result["added_ms"] = round(statistics.median(times["limited"]) - statistics.median(times["unlimited"]), 3)
    return result


def run(settings: Settings, *, lookups: int = 2000, json_out: bool = False) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_lookup") as bench:
        engine = sync_engine(bench)
        upgrade_shared(engine)
        engine.dispose()
        result = asyncio.run(_measure(bench, lookups))
    result |= {"lookups": lookups, "rounds": ROUNDS, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    console.print(f"a missed lookup: {result['limited_ms']} ms with the shared limits, {result['unlimited_ms']} ms "
                  f"without (+{result['added_ms']} ms); admit {result['admit_ms']} ms, wrong phone "
                  f"{result['wrong_phone_ms']} ms, SELECT 1 {result['select_1_ms']} ms (medians of {ROUNDS} rounds "
                  f"of {lookups})")
    if json_out:
        print(json.dumps(result))
    return result
