"""`hotline bench steps`: the CPU of one dispatch step and of one applied dispatch, one at a time.

Under load (`hotline bench dispatch`) the two cores are nearly flat at 100 chains/s, and CPU per chain
cannot fall below what the run's length allows; a step's own cost is measured here instead, with
nothing else running. Each way is timed in rounds that alternate, so a machine slowing down mid-run
slows all of them alike; each figure is the median of its rounds, in ms per step, of the bench
process (`cpu`: the client's Python and syscalls) and of the whole machine (`machine`: PostgreSQL and
the kernel too).

- ``dispatch``: the city's dispatcher dispatches a registered order to the district through the service
  layer, as the API does: ``unlocked`` (``act_and_commit``: the order read unlocked, written if unchanged)
  and ``locked`` (``act`` with the row locked, then commit).
- ``apply``: the district applies one such dispatch message (``federation.transport.apply_messages``),
  ``hopeful`` (as a first delivery is applied) and ``careful`` (inbox first, rows locked).
- the ceiling, measured in the same run: the same two steps in hand-written SQL, as the dispatch bench's
  floor does them (``bench.dispatch_floor``), on plain asyncpg.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import uvloop
from sqlalchemy import select

from bench.dispatch import CITY, DISTRICT, Desk
from bench.dispatch_floor import SCHEMA, apply_received, staff_step
from bench.load import machine_busy_s
from bench.scratch import scratch_database, tenant_tree
from core.orders.crosslevel import DOWN
from core.orders.lifecycle import Action
from core.orders.schemas import ActionRequest
from core.orders.service import act
from core.orders.step import order_step
from federation.transport import apply_messages
from iam.actors import Role
from infra.db import Database
from infra.settings import Settings
from tenants.binding import RegistryCache
from tenants.divisions import Division
from tenants.models import Tenant


async def _timed(items: list[Any], step: Callable[[Any], Awaitable[None]]) -> tuple[float, float]:
    """CPU ms per item of this process and of the machine, for ``step`` over ``items`` one at a time."""
    cpu, machine = time.process_time(), machine_busy_s()
    for item in items:
        await step(item)
    return ((time.process_time() - cpu) / len(items) * 1000, (machine_busy_s() - machine) / len(items) * 1000)


async def _alternate(ways: dict[str, Callable[[Any], Awaitable[None]]], queues: dict[str, list[Any]], *, warm: int,
                     steps: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Each way run on its first ``warm`` items (connections, prepared statements, caches), then timed over
    ``steps`` items a round, the ways taking turns round after round."""
    for way, step in ways.items():
        for item in queues[way][:warm]:
            await step(item)
    runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    for r in range(rounds):
        for way, step in ways.items():
            runs[way].append(await _timed(queues[way][warm + r * steps:warm + (r + 1) * steps], step))
    return runs


async def _measure(bench: Settings, steps: int, rounds: int) -> dict[str, tuple[float, float]]:
    db = Database(bench)
    async with db.shared_session() as session:
        tenants = {t.code: t for t in (await session.scalars(select(Tenant))).all()}
    city = Desk(db, tenants[CITY], {Role.operator, Role.dispatcher}, asyncio.Semaphore(1))
    raw = await asyncpg.connect(bench.postgres_url)
    per_way = steps * rounds
    warm = 20
    # Orders for every dispatch to come, and the floor's records of them: registering is not what is timed.
    numbers = {way: [await city.register(i) for i in range(per_way + warm)] for way in ("dispatch_unlocked",
                                                                                     "dispatch_locked")}
    floor_numbers = [f"{CITY}-{i:06d}" for i in range(per_way + warm)]
    await raw.executemany("INSERT INTO floor.orders (tenant, number, status, title) VALUES ($1, $2, 'registered', "
                          "'路灯不亮')", [(CITY, n) for n in floor_numbers])

    async def unlocked(number: str) -> None:
        await city.act(number, Action.dispatch, to=DISTRICT)

    async def locked(number: str) -> None:
        async with db.tenant_session(city.tenant.schema_name) as session:
            ctx = await city.context(session)
            async with order_step(session):
                await act(ctx, number, Action.dispatch, ActionRequest(to=DISTRICT))

    async def floor_step(number: str) -> None:
        await staff_step(raw, number, "dispatched", "dispatch", (DISTRICT, {
            "kind": "dispatch", "from": CITY, "number": number, "chain": number, "title": "路灯不亮"}), "steps")

    registry = RegistryCache()

    async def resolve(code: str) -> Tenant | None:
        return await registry.get(db, code)

    def applier(hopeful: bool) -> Callable[[tuple[uuid.UUID, str, bytes]], Awaitable[None]]:
        async def apply(message: tuple[uuid.UUID, str, bytes]) -> None:
            await apply_messages(db, DOWN, resolve, DISTRICT, [message], hopeful=hopeful)
        return apply

    async def floor_apply(body: dict[str, Any]) -> None:
        await apply_received(raw, [(uuid.uuid4(), DISTRICT, body)])

    dispatchers: dict[str, Callable[[Any], Awaitable[None]]] = {
        "dispatch_unlocked": unlocked, "dispatch_locked": locked, "dispatch_raw": floor_step}
    runs = await _alternate(dispatchers, {**numbers, "dispatch_raw": floor_numbers}, warm=warm, steps=steps,
                            rounds=rounds)

    # The dispatches above left their messages to the district in the outbox: apply them, as a worker would.
    sent = await raw.fetch("SELECT message_id, subject, payload::text FROM public.outbox WHERE kind = 'dispatch' "
                           "ORDER BY id")
    messages = [(row[0], row[1], row[2].encode()) for row in sent]
    bodies = [{"kind": "dispatch", "from": CITY, "number": n, "chain": n, "title": "路灯不亮"} for n in floor_numbers]
    appliers: dict[str, Callable[[Any], Awaitable[None]]] = {
        "apply_hopeful": applier(True), "apply_careful": applier(False), "apply_raw": floor_apply}
    half = len(messages) // 2
    runs |= await _alternate(appliers, {"apply_hopeful": messages[:half], "apply_careful": messages[half:],
                                        "apply_raw": bodies}, warm=warm, steps=steps, rounds=rounds)
    await raw.close()
    await db.dispose()
    return {way: (round(statistics.median(c for c, _ in found), 3), round(statistics.median(m for _, m in found), 3))
            for way, found in runs.items()}


def run(settings: Settings, *, json_out: bool = False, steps: int = 200, rounds: int = 5) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_steps") as bench:
        engine = tenant_tree(bench, [Division("41", "河南省"), Division(CITY, "郑州市"), Division(DISTRICT, "中原区")])
        with engine.begin() as conn:
            conn.exec_driver_sql(SCHEMA.format(records=0, city=CITY, district=DISTRICT, town="-"))
        engine.dispose()
        # On uvloop, as the API and the workers run.
        measured = uvloop.run(_measure(bench, steps, rounds))
    result: dict[str, object] = {f"{way}_ms": {"cpu": cpu, "machine": machine} for way, (cpu, machine) in
                                 measured.items()}
    for kind, fast, slow in (("dispatch", "unlocked", "locked"), ("apply", "hopeful", "careful")):
        ceiling = measured[f"{kind}_raw"][1]
        result[f"{kind}_vs_raw"] = {way: round(measured[f"{kind}_{way}"][1] / ceiling, 2) for way in (fast, slow)}
    result |= {"steps": steps, "rounds": rounds, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    for kind, fast, slow in (("dispatch", "unlocked", "locked"), ("apply", "hopeful", "careful")):
        console.print(f"{kind}: " + ", ".join(
            f"{way} {measured[f'{kind}_{way}'][0]} ms here, {measured[f'{kind}_{way}'][1]} ms machine"
            for way in (fast, slow, "raw")) + f" (machine, against the hand-written step: {result[f'{kind}_vs_raw']})")
    if json_out:
        print(json.dumps(result))
    return result
