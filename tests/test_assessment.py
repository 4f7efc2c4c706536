"""Assessment (考核), statistics and hot spots, fed by facts over real NATS through a real worker.

The scripted month: October 2026 in 鹤壁市 (4106), its departments 住建局 (U1) and 城管局 (U2) and
two districts, every step at a set time (the API's clock). Its numbers are checked by hand below.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import psycopg
import pytest

from core.assessment.hotspots import detect_all
from core.categories.service import CategoryStore
from core.orders.crosslevel.check import check
from core.orders.facts import EventView, RecordState, step
from core.orders.overdue import mark_all_overdue
from core.sla.service import SlaStore
from infra.db import Database, sync_engine
from infra.settings import Settings
from tests.orders_helpers import ADMIN, CALLER, CITY, DISPATCHER, OPERATOR, REVIEWER, SUPERVISOR, act, intake, staff
from tests.workers import HOTLINE, eventually, start_worker, stop_worker

CITIES = (CITY,)
CST = ZoneInfo("Asia/Shanghai")
QIBIN, HESHAN = "410611", "410602"
READ_MODEL = ("assess_records", "assess_unit_day", "assess_node_day", "assess_open_node", "stats_day", "stats_hour")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=CST)


@pytest.fixture(scope="module")
def worker(tree: Settings) -> Iterator[subprocess.Popen[bytes]]:
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


@pytest.fixture(scope="module")
async def units(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for key, code, name in (("U1", "housing", "市住房和城乡建设局"), ("U2", "urban", "市城市管理局")):
        response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                     json={"code": code, "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


@pytest.fixture(scope="module")
async def month(app: Any, client: httpx.AsyncClient, units: dict[str, int], worker: subprocess.Popen[bytes],
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


async def test_departments_get_the_hand_checked_indicators_and_scores(
        client: httpx.AsyncClient, month: dict[str, str], units: dict[str, int]) -> None:
    report = await ranking(client)
    u1, u2 = entry(report, "departments", str(units["U1"])), entry(report, "departments", str(units["U2"]))
    # U1: A, B, C. Signed in time A, C; called A, C; closed A, B, C, on time only A (B closed late,
    # C reworked and overdue); rated satisfied A, basically B, unsatisfied C.
    assert {k: u1["counts"][k] for k in ("assigned", "sign_due", "signed_in_time", "contact_due", "contacted",
                                         "closed", "closed_on_time", "overdue", "reopened", "rated", "resolved")} \
        == {"assigned": 3, "sign_due": 3, "signed_in_time": 2, "contact_due": 3, "contacted": 2, "closed": 3,
            "closed_on_time": 1, "overdue": 2, "reopened": 1, "rated": 3, "resolved": 2}
    assert u1["indicators"]["sign_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert u1["indicators"]["satisfaction_rate"] == pytest.approx((1 + 0.9) / 3, abs=1e-6)
    assert u1["indicators"]["on_time_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert u1["indicators"]["reopen_rate"] == pytest.approx(1 / 3, abs=1e-6)
    # 100 × (0.1 × 2/3 + 0.4 × 1.9/3 + 0.5 × 2/3)
    assert u1["score"] == pytest.approx(65.33, abs=0.01)
    # U2: C (sent back), E (all well), H (never signed, urged, overdue).
    assert {k: u2["counts"][k] for k in ("assigned", "signed_in_time", "returned", "urged", "overdue",
                                         "closed_on_time")} \
        == {"assigned": 3, "signed_in_time": 1, "returned": 1, "urged": 1, "overdue": 1, "closed_on_time": 1}
    assert u2["indicators"]["return_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert u2["indicators"]["urge_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert u2["score"] == 100.0
    assert (u2["rank"], u1["rank"]) == (1, 2)


async def test_child_tenants_are_ranked_on_their_own_records(client: httpx.AsyncClient,
                                                            month: dict[str, str]) -> None:
    report = await ranking(client)
    tenants = group(report, "tenants")
    heshan, qibin = entry(report, "tenants", HESHAN), entry(report, "tenants", QIBIN)
    # 鹤山区 signed late but called the citizen: response 1 is all it can be scored on yet.
    assert heshan["counts"]["sign_due"] == 1 and heshan["counts"]["signed_in_time"] == 0
    assert heshan["counts"]["overdue"] == 1 and heshan["score"] == 100.0
    # 淇滨区 signed in time, never called, and sent it back.
    assert (qibin["counts"]["signed_in_time"], qibin["counts"]["returned"], qibin["score"]) == (1, 1, 0.0)
    assert [r["id"] for r in tenants["ranking"][:2]] == [HESHAN, QIBIN]
    assert all(r["score"] is None and r["rank"] is None for r in tenants["ranking"][2:])
    assert tenants["red_list"] == [HESHAN] and tenants["black_list"] == [QIBIN]


async def test_the_city_total_counts_each_request_once(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    counts = (await ranking(client))["total"]["counts"]
    # A B C D E G H I taken at the city; the districts' own records of E and I are theirs, not again the city's.
    assert {k: counts[k] for k in ("received", "intake", "repeated", "answered", "declined", "dispatched",
                                   "closed", "closed_on_time", "overdue", "returned", "rated", "resolved")} \
        == {"received": 8, "intake": 8, "repeated": 1, "answered": 1, "declined": 1, "dispatched": 6, "closed": 5,
            "closed_on_time": 3, "overdue": 4, "returned": 2, "rated": 4, "resolved": 3}
    # 按时办结率 counts the open orders past their limit: 3 on time of 3 + 4 overdue.
    assert (await ranking(client))["total"]["indicators"]["on_time_rate"] == pytest.approx(3 / 7, abs=1e-6)


async def test_the_province_ranks_the_city_with_the_same_totals(client: httpx.AsyncClient,
                                                               month: dict[str, str]) -> None:
    province = await ranking(client, "41")
    city = entry(province, "tenants", CITY)
    assert city["counts"] == (await ranking(client))["total"]["counts"]
    assert city["rank"] == 1


async def test_rebuild_from_the_event_logs_equals_the_incremental_read_model(
        month: dict[str, str], tree: Settings) -> None:
    def snapshot() -> dict[str, list[tuple[Any, ...]]]:
        with psycopg.connect(tree.postgres_url) as conn:
            return {t: sorted(conn.execute(f"SELECT * FROM public.{t}").fetchall()) for t in READ_MODEL}

    incremental = snapshot()
    result = subprocess.run([HOTLINE, "assessment", "rebuild"], env=dict(os.environ), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "rebuilt from" in result.stdout
    assert snapshot() == incremental
    assert incremental["assess_unit_day"]


async def test_the_monthly_report_comes_as_workbook_document_and_csv(client: httpx.AsyncClient,
                                                                     month: dict[str, str]) -> None:
    import io

    from openpyxl import load_workbook

    params = {"period": "2026-10"}
    book = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.xlsx", params=params, headers=SUPERVISOR)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content))["departments"]
    assert sheet["B3"].value == "市城市管理局" and sheet["D3"].value == 100.0
    page = await client.get(f"/api/v1/tenants/{CITY}/assessment/report.html", params=params, headers=SUPERVISOR)
    assert page.status_code == 200 and "<svg" in page.text and "黑榜" in page.text and "淇滨区" in page.text
    table = await client.get(f"/api/v1/tenants/{CITY}/assessment/indicators.csv", params=params, headers=SUPERVISOR)
    lines = table.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("period,group,kind,id,name,rank,score,received")
    children = len(group(await ranking(client), "tenants")["ranking"])
    assert len(lines) == 1 + children + 2  # every child tenant and both departments


async def test_settings_change_the_weights_and_bad_settings_are_refused(
        client: httpx.AsyncClient, month: dict[str, str], units: dict[str, int]) -> None:
    bad = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN,
                           json={"weights": {"charm_rate": 1}})
    assert bad.status_code == 422 and "charm_rate" in bad.json()["detail"]
    good = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN,
                            json={"weights": {"sign_rate": 1}, "groups": {
                                "tenants": {"name": "区县", "max_score": 100},
                                "departments": {"name": "市直部门", "max_score": 80}}})
    assert good.status_code == 200, good.text
    report = await ranking(client)
    assert entry(report, "departments", str(units["U1"]))["score"] == pytest.approx(80 * 2 / 3, abs=0.01)
    assert report["settings_from"] == CITY
    await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN, json={})


async def test_a_province_chooses_its_denominators(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    default = (await ranking(client))["total"]["indicators"]
    assert default["overdue_rate"] == pytest.approx(4 / 7, abs=1e-6)  # 8 received, 1 redirected left out
    changed = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN,
                               json={"on_time_basis": "closed", "exclude_from_base": []})
    assert changed.status_code == 200, changed.text
    try:
        indicators = (await ranking(client))["total"]["indicators"]
        assert indicators["on_time_rate"] == pytest.approx(3 / 5, abs=1e-6)  # closed orders only: 3 of 5
        assert indicators["overdue_rate"] == pytest.approx(4 / 8, abs=1e-6)
    finally:
        await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN, json={})
    bad = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN,
                           json={"on_time_basis": "whenever"})
    assert bad.status_code == 422 and "on_time_basis" in bad.json()["detail"]


async def test_a_bad_period_is_a_clear_error(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/assessment", params={"period": "October"},
                                headers=SUPERVISOR)
    assert response.status_code == 422 and "period" in response.json()["detail"]


async def test_a_handler_cannot_read_the_ranking(client: httpx.AsyncClient, month: dict[str, str],
                                                 units: dict[str, int]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/assessment", params={"period": "2026-10"},
                                headers=staff("handler", unit=units["U1"]))
    assert response.status_code == 403


async def test_statistics_drill_down_by_area(client: httpx.AsyncClient, month: dict[str, str]) -> None:
    params = {"by": "area", "from": "2026-10-01", "to": "2026-10-31"}
    city = (await client.get(f"/api/v1/tenants/{CITY}/statistics", params=params, headers=SUPERVISOR)).json()
    assert {i["key"]: i["count"] for i in city["items"]} == {QIBIN: 7, HESHAN: 1}
    assert next(i for i in city["items"] if i["key"] == QIBIN)["name"] == "淇滨区"
    by_type = (await client.get(f"/api/v1/tenants/{CITY}/statistics", headers=SUPERVISOR,
                                params={**params, "by": "channel"})).json()
    assert by_type["total"] == 8
    district = (await client.get(f"/api/v1/tenants/{HESHAN}/statistics", params=params,
                                 headers=SUPERVISOR)).json()
    assert district["total"] == 1


async def test_the_overview_shows_each_districts_open_and_red_orders(
        client: httpx.AsyncClient, month: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/overview", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    view = response.json()
    heshan = next(c for c in view["children"] if c["code"] == HESHAN)
    assert (heshan["open"], heshan["red"]) == (1, 1)
    # The city's own open records: C (reworked), H (never signed), I (with 鹤山区); all past their limits.
    assert (view["total"]["open"], view["total"]["red"], view["total"]["urged"]) == (3, 3, 1)


async def test_a_planted_spike_raises_exactly_one_alert(client: httpx.AsyncClient, month: dict[str, str],
                                                        app: Any, tree: Settings) -> None:
    app.state.clock = lambda: datetime.now(UTC)
    phones = iter(range(13800000001, 13800000100))

    async def file(category: str, n: int) -> None:
        for _ in range(n):
            body = intake(category=category, division_code=HESHAN)
            body["citizen"] = {**body["citizen"], "phone": str(next(phones))}
            response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=body, headers=OPERATOR)
            assert response.status_code == 201, response.text

    await file("0102", 12)  # 建筑施工扰民 in 鹤山区, out of nowhere
    await file("0103", 3)  # a few about dust: no spike

    async def alerts() -> list[dict[str, Any]]:
        return (await client.get(f"/api/v1/tenants/{CITY}/alerts", headers=SUPERVISOR)).json()

    async def detect() -> int:
        await quiet(tree, expected_overdue=0)
        pool = await asyncpg.create_pool(tree.postgres_url, min_size=1, max_size=1)
        try:
            return await detect_all(pool, datetime.now(UTC))
        finally:
            await pool.close()

    assert await detect() == 1
    await file("0102", 3)  # the same episode goes on
    assert await detect() == 0
    raised = await alerts()
    assert [(a["kind"], a["key"], a["tenant_code"]) for a in raised] == [("spike", f"{HESHAN}:0102", HESHAN)]
    assert raised[0]["count"] >= 12


async def test_two_consumers_racing_on_a_new_record_apply_each_fact_once(tree: Settings) -> None:
    from core.assessment.store import apply_facts

    def fact(seq: int, changes: list[list[Any]]) -> dict[str, Any]:
        return {"t": QIBIN, "o": 987654, "s": seq, "day": "2026-09-30", "ol": 4, "c": changes,
                "live": {"open": True, "deadline": None, "urged": False}}

    register_, sign = fact(1, [[None, "received", 1]]), fact(2, [[None, "signed_in_time", 1]])
    a = await asyncpg.connect(tree.postgres_url)
    b = await asyncpg.connect(tree.postgres_url)
    try:
        async def apply(conn: asyncpg.Connection, facts: list[dict[str, Any]]) -> None:
            async with conn.transaction():
                await apply_facts(conn, facts)

        # Both see the record for the first time; the same fact arrives at both (a redelivery).
        await asyncio.gather(apply(a, [register_, sign]), apply(b, [register_]))
        await apply(b, [sign])  # and once more, late
        row = await a.fetchrow("SELECT applied FROM public.assess_records WHERE tenant_code = $1 AND order_id = "
                               "987654", QIBIN)
        counts = await a.fetchrow("SELECT received, signed_in_time FROM public.assess_node_day WHERE node = $1 "
                                  "AND day = '2026-09-30'", QIBIN)
    finally:
        await a.close()
        await b.close()
    assert list(row["applied"]) == [1, 2]
    assert (counts["received"], counts["signed_in_time"]) == (1, 1)


def _sign_due_after(*steps: tuple[str, dict[str, Any]]) -> int:
    """The record's sign_due after these (action, payload) steps, folded as the read model folds them."""
    state: dict[str, Any] = {}
    now = datetime.now(UTC)
    changes = [c for seq, (action, payload) in enumerate(steps, 1)
               for c in step(state, EventView(seq, action, None, now, payload))]
    return sum(delta for _, counter, delta in changes if counter == "sign_due")


def test_a_receipt_taken_back_before_anyone_signed_it_is_not_due() -> None:
    received = ("dispatch-received", {})
    assert _sign_due_after(received) == 1
    assert _sign_due_after(received, ("withdraw", {"by_tenant": "4106"})) == 0
    assert _sign_due_after(received, ("sign", {}), ("withdraw", {"by_tenant": "4106"})) == 1
    assert _sign_due_after(received, ("withdraw", {"by_tenant": "4106", "superseded": True})) == 1


def test_the_record_state_names_what_was_counted_of_it() -> None:
    state: RecordState = {}
    now = datetime.now(UTC)
    for seq, (action, payload) in enumerate((("dispatch", {"to": 7}), ("sign", {}), ("overdue", {}),
                                             ("close", {})), 1):
        step(state, EventView(seq, action, 7, now, payload))
    assert state == {"dispatched": True, "holding_unit": 7, "signed": True, "contact_due": True, "overdue": True,
                     "closed": True}
