"""The administration screens (管理) in the browser, signed in on Keycloak's page: 郑州's admin changes a time limit and
an assessment weight and sees each change in the screen's history; a bad value shows its message beside the field
and cannot be saved; the province's admin enters the holidays of a year nobody knows yet; every admin screen is
photographed for docs/console/ and checked by axe-core.

Hooks (each view lists its own at the top of its <script setup>): the frame's "tab-settings", "tab-history",
"history", "history-item", "source", "tenant-child", "tenant-crumb-<code>"; time limits
"<type>-<urgency>-<sign|handle>-value",
"error-<type>-<urgency>", "save-limits"; assessment "weight-<indicator>", "save-assessment", "group-tenants-name";
calendar "year-<y>", "year-source", "edit-year", "day-date-<i>", "day-kind-<i>", "day-name-<i>", "save-year".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from sso.demo import PERSON_NAMES
from tests.browser.flow import STEP_MS, choose
from tests.browser.pages import Screens, axe_check
from tests.browser.stack import CITY, Stack


def number_field(page: Page, hook: str) -> Locator:
    """The input of an Element Plus number field (its data-test is on the wrapper)."""
    return page.get_by_test_id(hook).locator("input")


def type_number(page: Page, hook: str, value: str) -> None:
    """Type a value into a number field and leave it (the field commits its value on leaving)."""
    field = number_field(page, hook)
    field.fill(value)
    field.press("Tab")


def open_history(page: Page) -> Locator:
    """The History tab, reached by the keyboard."""
    page.get_by_test_id("tab-history").focus()
    page.keyboard.press("Enter")
    history = page.get_by_test_id("history")
    expect(history).to_be_visible(timeout=STEP_MS)
    expect(history.get_by_test_id("history-item").or_(history.get_by_test_id("history-empty")).first).to_be_visible(
        timeout=STEP_MS)
    return history


@pytest.fixture
def restored(stack: Stack) -> Iterator[None]:
    """郑州's own settings as they were: the journey's orders after this test keep the province's limits."""
    yield
    api = stack.api("zz-admin")
    api.delete(f"/tenants/{CITY}/time-limits/complaint/normal")
    api.delete(f"/tenants/{CITY}/assessment/settings")
    stack.api("henan-admin").delete(f"/calendar/{date.today().year + 2}")


def test_an_admin_changes_a_time_limit_and_an_assessment_weight_and_sees_them_in_the_history(
        person: Callable[..., Page], stack: Stack, restored: None) -> None:
    screens = Screens()
    admin = person("zz-admin", "/console/admin/time-limits")
    handle = number_field(admin, "complaint-normal-handle-value")
    expect(handle).to_have_value("15", timeout=STEP_MS)
    expect(admin.get_by_test_id("source-complaint-normal")).to_contain_text("沿用上级：河南省")
    screens.check(admin, "admin-time-limits")

    # A bad value: signing later than handling is refused beside the field, and nothing can be saved.
    type_number(admin, "complaint-normal-sign-value", "20")
    expect(admin.get_by_test_id("error-complaint-normal")).to_have_text("签收时限不能长于办理时限：先签收，后办理")
    expect(admin.get_by_test_id("save-limits")).to_be_disabled()
    screens.check(admin, "admin-time-limits-error")
    type_number(admin, "complaint-normal-sign-value", "1")
    expect(admin.get_by_test_id("error-complaint-normal")).to_have_count(0)

    type_number(admin, "complaint-normal-handle-value", "12")
    admin.get_by_test_id("save-limits").click()
    expect(admin.get_by_test_id("source-complaint-normal")).to_contain_text("本级设置", timeout=STEP_MS)
    limits = {(p["type"], p["urgency"]): p for p in stack.api("zz-admin").get(f"/tenants/{CITY}/time-limits").json()}
    assert limits[("complaint", "normal")]["handle"] == {"value": 12, "unit": "working_days"}
    history = open_history(admin)
    change = history.get_by_test_id("history-item").first
    expect(change).to_contain_text(PERSON_NAMES["zz-admin"])
    expect(change).to_contain_text("投诉 · 一般")
    expect(change).to_contain_text("办理：15 个工作日 → 12 个工作日")
    expect(change).to_contain_text("来源：河南省 → 郑州市")
    screens.check(admin, "admin-time-limits-history")

    admin.goto(f"{stack.url}/console/admin/assessment")
    weight = number_field(admin, "weight-satisfaction_rate")
    expect(weight).to_have_value("0.4", timeout=STEP_MS)
    admin.get_by_test_id("group-tenants-name").fill("")
    expect(admin.get_by_text("请填写分组名称")).to_be_visible()
    expect(admin.get_by_test_id("save-assessment")).to_be_disabled()
    admin.get_by_test_id("group-tenants-name").fill("区县（市辖区）")
    type_number(admin, "weight-satisfaction_rate", "0.6")
    expect(admin.get_by_test_id("weight-share-satisfaction_rate")).to_have_text("50%")  # 0.6 of 0.1 + 0.6 + 0.5
    screens.check(admin, "admin-assessment")
    admin.get_by_test_id("save-assessment").click()
    refused = admin.get_by_test_id("assessment-error")
    expect(refused.or_(admin.locator("[data-test=source][data-source=here]")).first).to_be_visible(timeout=STEP_MS)
    assert not refused.count(), refused.inner_text()
    saved = stack.api("zz-admin").get(f"/tenants/{CITY}/assessment/settings").json()
    assert saved["from"] == CITY and saved["settings"]["weights"]["satisfaction_rate"] == 0.6
    history = open_history(admin)
    change = history.get_by_test_id("history-item").first
    expect(change).to_contain_text(PERSON_NAMES["zz-admin"])
    expect(change).to_contain_text("权重 · 满意率：0.4 → 0.6")
    expect(change).to_contain_text("下级行政区组名称")
    screens.check(admin, "admin-assessment-history")
    screens.assert_accessible()


def test_the_province_enters_the_holidays_of_a_year_nobody_knows_yet(
        person: Callable[..., Page], stack: Stack, restored: None) -> None:
    screens = Screens()
    year = date.today().year + 2  # beyond what chinese-calendar knows
    admin = person("henan-admin", "/console/admin/calendar")
    admin.get_by_test_id(f"year-{year}").click()
    expect(admin.get_by_test_id("year-source")).to_contain_text("未录入", timeout=STEP_MS)
    admin.get_by_test_id("edit-year").click()
    admin.get_by_test_id("day-date-0").fill(f"{year}-01-01")
    admin.get_by_test_id("day-name-0").fill("元旦")
    admin.get_by_test_id("add-day").click()
    sunday = next(date(year, 1, d) for d in range(2, 9) if date(year, 1, d).weekday() == 6)
    monday = next(date(year, 1, d) for d in range(2, 9) if date(year, 1, d).weekday() == 0)
    admin.get_by_test_id("day-date-1").fill(monday.isoformat())
    admin.get_by_test_id("day-kind-1").select_option(label="调休上班")
    expect(admin.get_by_test_id("day-error-1")).to_contain_text("调休上班日须为周六或周日")
    expect(admin.get_by_test_id("save-year")).to_be_disabled()
    screens.check(admin, "admin-calendar-edit")
    admin.get_by_test_id("day-date-1").fill(sunday.isoformat())
    expect(admin.get_by_test_id("day-error-1")).to_have_count(0)
    admin.get_by_test_id("save-year").click()
    expect(admin.get_by_test_id("year-source")).to_contain_text("省级录入", timeout=STEP_MS)
    entered = stack.api("henan-admin").get(f"/calendar/{year}").json()
    assert entered["source"] == "entered" and [d["date"] for d in entered["days"]] == [
        f"{year}-01-01", sunday.isoformat()]
    history = open_history(admin)
    expect(history.get_by_test_id("history-item").first).to_contain_text("01月01日放假（元旦）")
    screens.check(admin, "admin-calendar")
    screens.assert_accessible()


@pytest.mark.parametrize(("who", "path", "name"), [
    ("zz-admin", "/console/admin/categories", "admin-categories"),
    ("zz-admin", "/console/admin/routing", "admin-routing"),
    ("zz-admin", "/console/admin/overdue-policy", "admin-overdue-policy"),
    ("zz-admin", "/console/admin/intake-policy", "admin-intake-policy"),
    ("henan-admin", "/console/admin/intake-policy", "admin-intake-policy-province"),
    ("zz-admin", "/console/admin/calendar", "admin-calendar-city"),
])
def test_every_admin_screen_is_accessible(person: Callable[..., Page], who: str, path: str, name: str) -> None:
    screens = Screens()
    page = person(who, path)
    expect(page.get_by_test_id("admin-title")).to_be_visible(timeout=STEP_MS)
    screens.check(page, name)
    if page.get_by_test_id("tab-history").count():
        open_history(page)
        axe_check(page, f"{name}, its history")  # empty here: checked, not photographed
    screens.assert_accessible()


def test_an_admin_looks_at_a_district_below_and_a_new_minor_must_begin_with_its_major(
        person: Callable[..., Page]) -> None:
    screens = Screens()
    admin = person("zz-admin", "/console/admin/overdue-policy")
    choose(admin, admin.get_by_test_id("tenant-child"), "中原区")
    expect(admin.get_by_test_id("source")).to_contain_text("系统默认", timeout=STEP_MS)
    expect(admin.get_by_test_id("save-overdue")).to_have_count(0)  # a district's own admin sets its own
    assert "tenant=410102" in admin.url
    admin.get_by_test_id("tenant-crumb-4101").click()
    expect(admin.get_by_test_id("save-overdue")).to_be_visible(timeout=STEP_MS)
    admin.goto(admin.url.split("/console/")[0] + "/console/admin/categories")
    admin.get_by_test_id("add-minor").click()
    dialog = admin.get_by_test_id("category-dialog")
    expect(dialog).to_be_visible(timeout=STEP_MS)
    dialog.get_by_test_id("category-code").fill("9901")
    expect(dialog).to_contain_text("小类编码须以大类编码 01 开头")
    screens.check(admin, "admin-categories-dialog")
    screens.assert_accessible()
