"""A citizen on a phone, not signed in: submits a request with a photo on the web channel, gets the query code,
and looks up its progress with the code and the phone number."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.flow import STEP_MS, choose
from tests.browser.pages import Screens, png
from tests.browser.stack import Stack

PHONE = "13903710099"


def field(page: Page, hook: str) -> Locator:
    """The input or textarea behind a hook set on an Element Plus component or on the element itself."""
    return page.locator(f"[data-test={hook}]:is(input, textarea), [data-test={hook}] :is(input, textarea)").first


def test_a_citizen_submits_with_a_photo_and_looks_up_the_progress(mobile: Page, stack: Stack,
                                                                     tmp_path: Path) -> None:
    screens = Screens()
    photo = tmp_path / "现场.png"
    photo.write_bytes(png())
    mobile.goto(f"{stack.url}/console/citizen")
    expect(mobile.get_by_test_id("submit")).to_be_visible(timeout=STEP_MS)
    screens.check(mobile, "citizen-submit")
    mobile.get_by_test_id("type-complaint").click()
    choose(mobile, mobile.get_by_test_id("category"), "供水")
    field(mobile, "title").fill("小区停水三天")
    field(mobile, "content").fill("中原区建设路12号院停水三天，无人通知，请尽快恢复供水。")
    field(mobile, "address").fill("建设路12号院")
    field(mobile, "name").fill("李先生")
    field(mobile, "phone").fill(PHONE)
    mobile.locator("[data-test=photo] input[type=file], input[type=file][data-test=photo]").first.set_input_files(
        str(photo))
    mobile.get_by_test_id("submit").click()
    code = mobile.get_by_test_id("query-code")
    expect(code).not_to_be_empty(timeout=STEP_MS)
    query_code = code.inner_text().strip()
    screens.check(mobile, "citizen-submitted")

    mobile.goto(f"{stack.url}/console/citizen/progress")
    field(mobile, "query-code").fill(query_code)
    field(mobile, "phone").fill(PHONE)
    mobile.get_by_test_id("lookup").click()
    expect(mobile.get_by_test_id("progress-status")).to_be_visible(timeout=STEP_MS)
    screens.check(mobile, "citizen-progress")
    screens.assert_accessible()
