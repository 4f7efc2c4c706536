"""A citizen on a phone, not signed in: submits a request with a photo on the web channel, gets the query code,
and looks up its progress with the code and the phone number.

Hooks relied on (views/citizen/*.vue): type, title, content, address, name, phone, photo, photo-preview, submit,
submit-error, order-number, query-code, to-progress, lookup, lookup-error, progress-status.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.flow import STEP_MS
from tests.browser.pages import Screens, png
from tests.browser.stack import Stack

PHONE = "13903710099"


def test_a_citizen_submits_with_a_photo_and_looks_up_the_progress(mobile: Page, stack: Stack,
                                                                     tmp_path: Path) -> None:
    screens = Screens()
    photo = tmp_path / "现场.png"
    photo.write_bytes(png())
    mobile.goto(f"{stack.url}/console/citizen")
    expect(mobile.get_by_test_id("submit")).to_be_visible(timeout=STEP_MS)
    screens.check(mobile, "citizen-submit")
    mobile.get_by_test_id("type").get_by_text("投诉", exact=True).tap()
    mobile.get_by_role("combobox", name="问题分类").tap()
    mobile.keyboard.type("停水")
    mobile.locator(".el-cascader__suggestion-item:visible").first.tap()
    mobile.get_by_test_id("title").fill("小区停水三天")
    mobile.get_by_test_id("content").fill("中原区建设路12号院停水三天，无人通知，请尽快恢复供水。")
    mobile.get_by_test_id("address").fill("建设路12号院")
    mobile.get_by_test_id("name").fill("李先生")
    mobile.get_by_test_id("phone").fill(PHONE)
    mobile.get_by_test_id("photo").set_input_files(str(photo))
    expect(mobile.get_by_test_id("photo-preview")).to_be_visible()
    mobile.get_by_test_id("submit").tap()
    code = mobile.get_by_test_id("query-code")
    expect(code).not_to_be_empty(timeout=STEP_MS)
    query_code = code.inner_text().strip()
    number = mobile.get_by_test_id("order-number").inner_text().strip()
    screens.check(mobile, "citizen-submitted")

    mobile.get_by_test_id("to-progress").tap()
    mobile.wait_for_url("**/console/citizen/progress**")
    expect(mobile.get_by_test_id("query-code")).to_have_value(query_code)
    mobile.get_by_test_id("phone").fill(PHONE)
    mobile.get_by_test_id("lookup").tap()
    expect(mobile.get_by_test_id("progress-status")).to_be_visible(timeout=STEP_MS)
    screens.check(mobile, "citizen-progress")
    screens.assert_accessible()

    seen = stack.api("zz-dispatcher").get(f"/tenants/4101/orders/{number}").json()
    assert seen["channel"] == "web" and len(seen["attachments"]) == 1, seen
