"""The assessment tests' scripted month: October 2026 in 鹤壁市 (4106), its departments 住建局 (U1) and 城管局
(U2) and two districts, every step at a set time (the API's clock), played once per module by the ``month``
fixture; and reading the ranking it yields.

A test module takes the fixtures by importing ``worker_on_no_clock``, ``departments`` and ``scripted_month``
(pytest finds them there as ``worker``, ``units`` and ``month``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from core.categories.service import CategoryStore
from core.orders.crosslevel.check import check
from core.orders.overdue import mark_all_overdue
from core.sla.service import SlaStore
from infra.db import Database, sync_engine
from infra.settings import Settings
from tests.orders_helpers import ADMIN, CALLER, CITY, DISPATCHER, OPERATOR, REVIEWER, SUPERVISOR, act, intake, staff
from tests.workers import eventually, start_worker, stop_worker

CST = ZoneInfo("Asia/Shanghai")
QIBIN, HESHAN = "410611", "410602"
READ_MODEL = ("assess_records", "assess_unit_day", "assess_node_day", "assess_open_node", "stats_day", "stats_hour")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=CST)


@pytest.fixture(scope="module", name="worker")
def worker_on_no_clock(tree: Settings) -> Iterator[subprocess.Popen[bytes]]:
    # The script runs on a clock set in October 2026 while the worker's is today's: its timer would find
    # every scripted order late at once. The tests run the timer's passes themselves, when they mean to.
    proc = start_worker(HOTLINE_TIMER_INTERVAL_S="0", HOTLINE_AUTO_URGE_AFTER_HOURS="1000000")
    yield proc
    stop_worker(proc)


class Script:
    """The month's steps, each at its own time on the API's clock."""

    def __init__(self, app: Any, client: httpx.AsyncClient, units: dict[str, int]) -> None:
        self.app, self.client, self.units, self.phones = app, client, units, iter(range(13900000001, 13900000100))

    def clock(self, when: datetime) -> None:
        self.app.state.clock = lambda: when.astimezone(UTC)

    async def register(self, when: datetime, phone: str | None = None, **overrides: Any) -> str:
        self.clock(when)
        body = intake(type="consultation", **overrides)
        body["citizen"] = {**body["citizen"], "phone": phone or str(next(self.phones))}
        response = await self.client.post(f"/api/v1/tenants/{CITY}/orders", json=body, headers=OPERATOR)
        assert response.status_code == 201, response.text
        return response.json()["number"]

    async def act(self, when: datetime, number: str, action: str, who: Any, tenant: str = CITY,
                  **body: Any) -> dict[str, Any]:
        self.clock(when)
        return await act(self.client, number, action, who, tenant=tenant, **body)

    def handler(self, unit: str) -> Any:
        return staff("handler", unit=self.units[unit])

    async def held_by(self, tenant: str, origin_number: str) -> str:
        who = staff("dispatcher", tenant=tenant)

        async def find() -> str | None:
            items = (await self.client.get(f"/api/v1/tenants/{tenant}/orders", headers=who,
                                           params={"limit": 200})).json()["items"]
            for item in items:
                detail = (await self.client.get(f"/api/v1/tenants/{tenant}/orders/{item['number']}",
                                                headers=who)).json()
                if detail["timeline"][0]["payload"].get("origin_number") == origin_number:
                    return item["number"]
            return None

        return await eventually(find)

    async def status(self, number: str, wanted: str) -> None:
        async def reached() -> bool:
            detail = (await self.client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=DISPATCHER)).json()
            return detail["status"] == wanted

        await eventually(reached)

    async def handled(self, number: str, unit: str, signed: datetime, close_day: int, contact: bool = True) -> None:
        """Signed at ``signed`` (and the citizen called), replied, approved and closed on ``close_day``."""
        handler = self.handler(unit)
        await self.act(signed, number, "sign", handler)
        if contact:
            await self.act(signed + timedelta(minutes=20), number, "contact", handler, note="已电话联系市民")
        end = close_day
        await self.act(at(end, 9), number, "reply", handler, content="已处理完毕")
        await self.act(at(end, 9, 30), number, "approve", REVIEWER)
        await self.act(at(end, 10), number, "close", REVIEWER)


@pytest.fixture(scope="module", name="units")
async def departments(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for key, code, name in (("U1", "housing", "市住房和城乡建设局"), ("U2", "urban", "市城市管理局")):
        response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                     json={"code": code, "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


@pytest.fixture(scope="module", name="month")
async def scripted_month(app: Any, client: httpx.AsyncClient, units: dict[str, int], worker: subprocess.Popen[bytes],
                tree: Settings) -> dict[str, str]:
    """October 2026 as the script below plays it; returns the orders by letter once every fact is applied."""
    s = Script(app, client, units)
    o: dict[str, str] = {}
    # A: U1 signs in time, calls the citizen, closes on time; the citizen is satisfied.
    o["A"] = await s.register(at(12, 9), phone="13912345678")
    await s.act(at(12, 9, 10), o["A"], "dispatch", DISPATCHER, to=units["U1"])
    await s.handled(o["A"], "U1", at(12, 9, 30), close_day=13)
    await s.act(at(14, 9), o["A"], "revisit", CALLER, satisfaction="satisfied")
    # B: U1 signs two days late, never calls, closes after the limit; basically satisfied.
    o["B"] = await s.register(at(12, 9))
    await s.act(at(12, 9, 10), o["B"], "dispatch", DISPATCHER, to=units["U1"])
    await s.handled(o["B"], "U1", at(14, 9, 30), close_day=15, contact=False)
    await s.act(at(16, 9), o["B"], "revisit", CALLER, satisfaction="basically_satisfied")
    # C: U2 sends it back; U1 takes it, closes on time; the citizen is unsatisfied: reworked, and
    # it is still open long after its new limit (the timer marks it overdue).
    o["C"] = await s.register(at(13, 9))
    await s.act(at(13, 9, 10), o["C"], "dispatch", DISPATCHER, to=units["U2"])
    await s.act(at(13, 10), o["C"], "return", s.handler("U2"), reason="不属于本单位职责")
    await s.act(at(13, 11), o["C"], "dispatch", DISPATCHER, to=units["U1"])
    await s.handled(o["C"], "U1", at(13, 11, 30), close_day=14)
    await s.act(at(14, 11), o["C"], "revisit", CALLER, satisfaction="unsatisfied", note="问题没有解决")
    # D: answered at intake (直办).
    o["D"] = await s.register(at(14, 9))
    await s.act(at(14, 9, 5), o["D"], "answer", OPERATOR, content="已当场解答")
    # E: to 淇滨区, which signs in time, calls nobody and sends it back; then U2 handles it well.
    o["E"] = await s.register(at(14, 10))
    await s.act(at(14, 10, 10), o["E"], "dispatch", DISPATCHER, to=QIBIN)
    e_qibin = await s.held_by(QIBIN, o["E"])
    await s.act(at(14, 11), e_qibin, "sign", staff("dispatcher", tenant=QIBIN), tenant=QIBIN)
    await s.act(at(14, 12), e_qibin, "return", staff("dispatcher", tenant=QIBIN), tenant=QIBIN,
                reason="应由市直部门办理")
    await s.status(o["E"], "returned")
    await s.act(at(14, 13), o["E"], "dispatch", DISPATCHER, to=units["U2"])
    await s.handled(o["E"], "U2", at(14, 13, 30), close_day=15)
    await s.act(at(16, 10), o["E"], "revisit", CALLER, satisfaction="satisfied")
    # G: the same citizen as A again (重复诉求), told to call 110 (redirected).
    o["G"] = await s.register(at(15, 9), phone="13912345678")
    await s.act(at(15, 9, 5), o["G"], "redirect", OPERATOR, to="110", reason="涉及治安，请拨打110")
    # H: U2 never signs; a supervisor urges it.
    o["H"] = await s.register(at(16, 9))
    await s.act(at(16, 9, 10), o["H"], "dispatch", DISPATCHER, to=units["U2"])
    await s.act(at(16, 12), o["H"], "urge", SUPERVISOR, reason="请尽快签收")
    # I: to 鹤山区, which signs late and calls the citizen, and is still at it.
    o["I"] = await s.register(at(15, 9), division_code=HESHAN)
    await s.act(at(15, 9, 10), o["I"], "dispatch", DISPATCHER, to=HESHAN)
    i_heshan = await s.held_by(HESHAN, o["I"])
    await s.act(at(19, 9), i_heshan, "sign", staff("dispatcher", tenant=HESHAN), tenant=HESHAN)
    await s.act(at(19, 10), i_heshan, "contact", staff("dispatcher", tenant=HESHAN), tenant=HESHAN)
    await s.status(o["I"], "signed")
    app.state.clock = lambda: datetime.now(UTC)
    await timer_pass(tree)
    await quiet(tree, expected_overdue=5)  # B late at close; C, H, I (city) and I (鹤山) by the timer
    return o


async def timer_pass(settings: Settings) -> int:
    """What the worker's timer does on each pass: orders past their limits get their overdue event."""
    db = Database(settings)
    try:
        return await mark_all_overdue(db, SlaStore(), CategoryStore())
    finally:
        await db.dispose()


async def quiet(settings: Settings, expected_overdue: int) -> None:
    """Wait until every message moved on, every fact is applied and the timer marked what is overdue."""
    engine = sync_engine(settings)

    async def done() -> bool:
        with psycopg.connect(settings.postgres_url) as conn:
            overdue = conn.execute("SELECT coalesce(sum(overdue), 0) FROM public.assess_node_day "
                                   "WHERE length(node) > 2").fetchone()[0]
        return overdue >= expected_overdue and check(engine, stale_s=0).clean

    try:
        await eventually(done, timeout=40)
    finally:
        engine.dispose()


async def ranking(client: httpx.AsyncClient, tenant: str = CITY) -> dict[str, Any]:
    response = await client.get(f"/api/v1/tenants/{tenant}/assessment", params={"period": "2026-10"},
                                headers=staff("supervisor", tenant=tenant))
    assert response.status_code == 200, response.text
    return response.json()


def group(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in report["groups"] if g["group"] == name)


def entry(report: dict[str, Any], name: str, subject: str) -> dict[str, Any]:
    return next(r for r in group(report, name)["ranking"] if r["id"] == subject)
