"""考核排名 in the browser: 郑州's supervisor opens the ranking, picks this month, and every number on the screen is the
API's for the same month; a department's score broken down indicator by indicator; the 通报 downloaded as PDF (read
back, and a page of it photographed) and as a workbook; the province's supervisor reaches 郑州's ranking from 郑州's
breakdown. axe-core on the screen and with the breakdown open.

This month's work (bookkeeping through the API, not the steps under test): 住建局 signs and calls its citizen, 城管局
signs and never calls, 中原区 signs and calls. So 住建局 leads the departments (红榜) and 城管局 trails (黑榜).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.flow import STEP_MS, choose, record_of
from tests.browser.pages import Screens, shots_dir
from tests.browser.stack import CITY, DISTRICT, Stack
from tests.orders_helpers import intake

CST = ZoneInfo("Asia/Shanghai")


def months_ago(n: int) -> str:
    today = datetime.now(CST).date()
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_label(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def work_this_month(stack: Stack) -> dict[str, Any]:
    """Three requests of 郑州, dispatched and signed as the docstring says; returns the ranking once the read model
    has them all."""
    operator, dispatcher = stack.api("zz-operator"), stack.api("zz-dispatcher")
    units = stack.units[CITY]

    def register(title: str) -> str:
        body = intake(title=title, division_code=DISTRICT, address="中原区建设路1号")
        response = operator.post(f"/tenants/{CITY}/orders", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    def act(client: httpx.Client, tenant: str, number: str, action: str, **body: Any) -> None:
        response = client.post(f"/tenants/{tenant}/orders/{number}/{action}", json=body)
        assert response.status_code == 200, f"{action}: {response.text}"

    for unit, calls in (("housing", True), ("urban", False)):
        number = register(f"排名测试 {unit}")
        act(dispatcher, CITY, number, "dispatch", to=units[unit])
        handler = stack.api(f"zz-{unit}")
        act(handler, CITY, number, "sign")
        if calls:
            act(handler, CITY, number, "contact", note="已电话联系市民")
    root = register("排名测试 中原区")
    act(dispatcher, CITY, root, "dispatch", to=DISTRICT)
    district = stack.api("zy-dispatcher")
    held = str(record_of(district, DISTRICT, root)["number"])
    act(district, DISTRICT, held, "sign")
    act(district, DISTRICT, held, "contact", note="已电话联系市民")
    supervisor = stack.api("zz-supervisor")
    deadline = time.monotonic() + 60
    while True:  # the facts travel through the worker to the read model
        report = supervisor.get(f"/tenants/{CITY}/assessment", params={"period": months_ago(0)}).json()
        rows = {r["id"]: r for g in report["groups"] for r in g["ranking"]}
        housing, urban = rows[str(units["housing"])], rows[str(units["urban"])]
        if housing["counts"]["contacted"] >= 1 and urban["counts"]["sign_due"] >= 1 \
                and rows[DISTRICT]["counts"]["contacted"] >= 1:
            return report
        assert time.monotonic() < deadline, "the month's work did not reach the ranking"
        time.sleep(0.5)


def assert_screen_is_the_api(page: Page, report: dict[str, Any]) -> None:
    """Every number of both tables as the API gives it (the same formatting rules as the console's labels.ts)."""
    for group in report["groups"]:
        for row in group["ranking"]:
            line = page.get_by_test_id(f"row-{group['group']}-{row['id']}")
            expect(line).to_be_visible()

            def cell(hook: str, line: Any = line) -> str:
                return str(line.get_by_test_id(hook).inner_text().strip())

            assert cell("rank") == ("—" if row["rank"] is None else str(row["rank"])), row["name"]
            assert cell("score") == points(row["score"]), row["name"]
            assert cell("urged") == str(row["counts"]["urged"]), row["name"]
            assert cell("board") == {"red": "红榜", "black": "黑榜"}.get(row["board"] or "", ""), row["name"]
            for key, value in row["indicators"].items():
                assert cell(f"ind-{key}") == pct(value), (row["name"], key)
            mark = line.get_by_test_id("movement").locator("[aria-hidden=true]").inner_text().strip()
            assert mark == movement_mark(row), row["name"]
        names = {r["id"]: r["name"] for r in group["ranking"]}
        for board in ("red", "black"):
            shown = page.get_by_test_id(f"{board}-{group['group']}").inner_text().strip()
            assert shown == ("、".join(names[i] for i in group[f"{board}_list"]) or "无")


def movement_mark(row: dict[str, Any]) -> str:
    change = row["rank_change"]
    if row["movement"] == "new":
        return "新进"
    if change is None:
        return "—"
    return "持平" if change == 0 else f"{'↑' if change > 0 else '↓'}{abs(change)}"


def pdf_text(body: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))


def test_the_supervisor_ranks_the_month_opens_a_breakdown_and_downloads_the_bulletin(
        person: Any, stack: Stack) -> None:
    report = work_this_month(stack)
    housing_id, urban_id = stack.units[CITY]["housing"], stack.units[CITY]["urban"]
    screens = Screens()
    page: Page = person("zz-supervisor", "/console/")
    page.get_by_role("menuitem", name="监督").hover()
    page.get_by_role("menuitem", name="考核排名").click()
    page.wait_for_url("**/console/ranking")
    # The last full month first: the month a centre ranks and publishes.
    expect(page.get_by_test_id("ranking-title")).to_contain_text(month_label(months_ago(1)), timeout=STEP_MS)
    choose(page, page.get_by_test_id("period"), month_label(months_ago(0)))
    page.wait_for_url(f"**/console/ranking?period={months_ago(0)}")
    expect(page.get_by_test_id(f"row-departments-{housing_id}").get_by_test_id("board")).to_have_text("红榜")
    assert_screen_is_the_api(page, report)
    total = page.get_by_test_id("ranking-total").inner_text()
    assert f"本期受理 {report['total']['counts']['received']} 件" in total
    assert f"满意率 {pct(report['total']['indicators']['satisfaction_rate'])}" in total
    screens.check(page, "ranking")

    page.get_by_test_id(f"unit-departments-{housing_id}").click()
    drawer = page.get_by_test_id("breakdown")
    expect(drawer).to_be_visible()
    housing = next(r for g in report["groups"] for r in g["ranking"] if r["id"] == str(housing_id))
    expect(drawer.get_by_test_id("breakdown-score")).to_have_text(points(housing["score"]))
    for part in housing["breakdown"]:
        line = drawer.get_by_test_id(f"part-{part['indicator']}")
        assert line.get_by_test_id("value").inner_text() == pct(part["value"])
        assert line.get_by_test_id("earned").inner_text() == points(part["earned"])
        assert line.get_by_test_id("lost").inner_text() == points(part["lost"])
    expect(drawer.get_by_test_id("breakdown-total")).to_contain_text(points(housing["score"]))
    screens.check(page, "ranking-breakdown")
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()

    with page.expect_download() as pdf_download:
        page.get_by_test_id("download-pdf").click()
    assert pdf_download.value.suggested_filename == f"郑州市考核通报{months_ago(0)}.pdf"  # a name, not a code
    target = shots_dir() / "ranking-report.pdf"
    pdf_download.value.save_as(target)
    body = target.read_bytes()
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    assert f"郑州市12345热线考核通报（{month_label(months_ago(0))}）" in text
    for group in report["groups"]:
        for row in group["ranking"]:
            assert row["name"] in text, row["name"]
    assert "红榜：郑州市住房和城乡建设局（100.00分）" in text and "黑榜：郑州市城市管理局（0.00分）" in text
    if shutil.which("pdftoppm"):  # poppler-utils (make chromium): the first page, to look at
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(target),
                        str(shots_dir() / "ranking-report")], check=True, timeout=60)
    target.unlink()

    with page.expect_download() as xlsx_download:
        page.get_by_test_id("download-xlsx").click()
    assert xlsx_download.value.suggested_filename == f"郑州市考核通报{months_ago(0)}.xlsx"
    book = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    assert "名次变化" in [c.value for c in book["departments"][2]]
    assert str(urban_id) in [str(r[2].value) for r in book["departments"].iter_rows(min_row=3)]
    screens.assert_accessible()


def test_the_province_reaches_a_citys_ranking_from_its_breakdown(person: Any, stack: Stack) -> None:
    page: Page = person("henan-supervisor", f"/console/ranking?period={months_ago(0)}")
    row = page.get_by_test_id(f"row-tenants-{CITY}")
    expect(row).to_be_visible(timeout=STEP_MS)
    page.get_by_test_id(f"unit-tenants-{CITY}").click()
    page.get_by_test_id(f"drill-{CITY}").click()
    page.wait_for_url(f"**/console/ranking?period={months_ago(0)}&tenant={CITY}")
    expect(page.get_by_test_id("ranking-title")).to_contain_text("郑州市")
    expect(page.get_by_test_id("crumbs")).to_contain_text("河南省")
    expect(page.get_by_test_id("group-departments")).to_contain_text("郑州市住房和城乡建设局")
    page.get_by_test_id("crumb-41").click()
    expect(page.get_by_test_id(f"row-tenants-{CITY}")).to_be_visible()
