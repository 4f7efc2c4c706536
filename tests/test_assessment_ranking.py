"""Assessment (考核), statistics and hot spots of a scripted month, fed by facts over real NATS through a real
worker: the departments' and the child tenants' indicators and scores, the totals, the reports, the settings,
the statistics and the overview, a planted spike's alert, and a rebuild from the event logs.

The month (tests/assessment_month.py) is October 2026 in 鹤壁市; its numbers are checked by hand below.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import psycopg
import pytest

from core.assessment.hotspots import detect_all
from infra.settings import Settings
from tests.assessment_month import (
    HESHAN,
    QIBIN,
    READ_MODEL,
    departments,  # noqa: F401 (the fixture `units`)
    entry,
    group,
    quiet,
    ranking,
    scripted_month,  # noqa: F401 (the fixture `month`)
    worker_on_no_clock,  # noqa: F401 (the fixture `worker`)
)
from tests.orders_helpers import ADMIN, CITY, OPERATOR, SUPERVISOR, intake, staff
from tests.workers import HOTLINE

CITIES = (CITY,)


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
