"""Getting about the console: a deep link kept across Keycloak's sign-in, a real 页面不存在 at an unknown address,
工单查询's export of the list it shows, and the seat's category list checked by axe while it is open.

Hooks relied on: who (the frame's header); not-found, not-found-path, go-home (NotFoundView); order-page,
order-number (OrderView); export-csv, export-xlsx, row-<number> (OrdersView); the seat's 诉求分类 combobox.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.flow import STEP_MS
from tests.browser.pages import VIEWPORT, Screens
from tests.browser.stack import CITY, Stack
from tests.orders_helpers import intake

EXPORT_PHONE = "13903719911"


def _registered(stack: Stack, title: str, phone: str = "13903719900") -> str:
    """An order of the city, taken through the API (the test's bookkeeping, not a step it checks)."""
    citizen = {"name": "钱先生", "phone": phone, "anonymous": False, "callback": True}
    taken = stack.api("zz-operator").post(f"/tenants/{CITY}/orders", json=intake(
        division_code="410102001", title=title, citizen=citizen))
    assert taken.status_code == 201, taken.text
    return str(taken.json()["number"])


def test_a_deep_link_is_kept_across_signing_in(browser: Browser, stack: Stack) -> None:
    number = _registered(stack, "深链接：签到后回到本工单")
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/console/orders/{number}")
        page.wait_for_selector("#username")  # Keycloak's own form, on its own host
        page.fill("#username", stack.username("zz-dispatcher"))
        page.fill("#password", stack.password)
        page.click("#kc-login")
        page.wait_for_url(f"{stack.url}/console/orders/{number}", timeout=STEP_MS)
        expect(page.get_by_test_id("order-number")).to_have_text(number, timeout=STEP_MS)
        expect(page.get_by_test_id("who")).to_contain_text("杨帆 · 郑州市")
    finally:
        context.close()


def test_an_unknown_address_shows_page_not_found_there_with_the_way_home(person: Callable[..., Page],
                                                                        stack: Stack) -> None:
    screens = Screens()
    page = person("zz-operator", "/console/no-such-screen")
    expect(page.get_by_test_id("not-found")).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_test_id("not-found-path")).to_have_text("/console/no-such-screen")
    assert page.url == f"{stack.url}/console/no-such-screen"  # the address asked for, not home's under it
    screens.check(page, "not-found")
    page.get_by_test_id("go-home").click()
    page.wait_for_url(f"{stack.url}/console/seat")  # the operator's first screen
    screens.assert_accessible()


def test_the_export_downloads_the_rows_the_list_shows(person: Callable[..., Page], stack: Stack) -> None:
    for title in ("路灯不亮", "井盖缺失"):
        _registered(stack, title, phone=EXPORT_PHONE)
    page = person("zz-dispatcher", f"/console/orders?phone={EXPORT_PHONE}")  # the query is in the address
    expect(page.locator("[data-test^=row-]")).to_have_count(2, timeout=STEP_MS)
    shown = [hook.removeprefix("row-") for hook in page.locator("[data-test^=row-]").evaluate_all(
        "rows => rows.map(r => r.dataset.test)")]
    with page.expect_download() as csv_download:
        page.get_by_test_id("export-csv").click()
    text = csv_download.value.path().read_text(encoding="utf-8-sig")
    assert [r["number"] for r in csv.DictReader(io.StringIO(text))] == shown
    assert csv_download.value.suggested_filename.endswith(".csv")
    with page.expect_download() as xlsx_download:
        page.get_by_test_id("export-xlsx").click()
    sheet = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes())).active
    assert [r[0] for r in list(sheet.iter_rows(values_only=True))[1:]] == shown


def test_the_seat_is_accessible_with_the_category_list_open(person: Callable[..., Page]) -> None:
    """axe with the cascader's list open, browsed and filtered: where a combobox's missing aria-controls shows."""
    screens = Screens()
    seat = person("zz-operator", "/console/seat")
    category = seat.get_by_role("combobox", name="诉求分类")
    category.click()
    expect(seat.locator(".el-cascader-menu:visible").first).to_be_visible()
    expect(category).to_have_attribute("aria-expanded", "true")
    screens.check(seat, "seat-category-open")
    seat.keyboard.type("漏水")
    expect(seat.locator(".el-cascader__suggestion-item:visible").first).to_contain_text("漏水")
    screens.check(seat, "seat-category-filtered")
    seat.keyboard.press("Escape")
    screens.assert_accessible()
