"""One request through the console, every step in the browser by the person whose step it is, each signed in
through Keycloak's own page: taken at 郑州's seat, dispatched to 中原区, on to 林山寨街道, handled there with a
photo, reviewed up the levels (town → district → city, docs/crosslevel.md), closed and followed up by 郑州's caller.
Each screen is photographed for docs/console/ and checked by axe-core on the way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import STEP_MS, act, choose, dispatch_fill, open_row, record_of, reply_fill, revisit_fill, row
from tests.browser.pages import check_screen, png
from tests.browser.stack import CITY, DISTRICT, TOWN, Stack

PHONE = "13903710027"
LIVE_MS = 5_000  # a dispatch shows in the handler's open inbox without a reload: well within this


def take_call(page: Page) -> str:
    """The seat: F2 focuses the phone, the form is filled from the keyboard, Alt+S submits; the number shows."""
    page.keyboard.press("F2")
    expect(page.get_by_test_id("phone").locator("input").or_(page.locator("input[data-test=phone]")).first
           ).to_be_focused()
    page.keyboard.type(PHONE)
    expect(page.get_by_test_id("caller-history")).to_be_visible(timeout=STEP_MS)
    for hook, value in (("citizen-name", "王女士"), ("title", "楼顶漏水"),
                        ("content", "中原区林山寨街道建设路12号院3号楼楼顶漏水，雨天屋内渗水，请尽快维修。"),
                        ("address", "建设路12号院3号楼")):
        field = page.get_by_test_id(hook).locator("input, textarea").or_(page.locator(f"[data-test={hook}]"
                                                                                       ":is(input, textarea)")).first
        field.focus()
        page.keyboard.type(value)
    category = page.get_by_test_id("category")
    category.click()
    page.keyboard.type("漏水")
    page.get_by_role("option").or_(page.locator(".el-cascader__suggestion-item")).first.click()
    choose(page, page.get_by_test_id("division"), "林山寨街道")
    check_screen(page, "seat")
    page.keyboard.press("Alt+s")
    number = page.get_by_test_id("order-number")
    expect(number).to_contain_text(f"{CITY}-", timeout=STEP_MS)
    return number.inner_text().strip()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    target = tmp_path / "维修后.png"
    target.write_bytes(png())
    return target


def test_a_call_at_zhengzhous_seat_is_handled_at_a_town_and_followed_up(
        person: Callable[..., Page], stack: Stack, photo: Path) -> None:
    seat = person("zz-operator", "/console/seat")
    root = take_call(seat)

    desk = person("zz-dispatcher", "/console/dispatch")
    row(desk, root)
    check_screen(desk, "dispatch")
    choose(desk, desk.get_by_test_id(f"to-{root}"), "中原区")
    desk.get_by_test_id(f"pick-{root}").check()
    desk.get_by_test_id("dispatch-selected").click()
    expect(desk.get_by_test_id(f"result-{root}")).to_contain_text("已派出", timeout=STEP_MS)

    district = str(record_of(stack.api("zy-dispatcher"), DISTRICT, root)["number"])
    zy = person("zy-dispatcher", "/console/inbox/to_sign")
    open_row(zy, district)
    check_screen(zy, "inbox-district")
    act(zy, "sign")
    act(zy, "dispatch", dispatch_fill(zy, "林山寨街道"))

    town = str(record_of(stack.api("lj-dispatcher"), TOWN, root)["number"])
    handler = person("lj-urban", "/console/inbox/to_sign")  # open before the dispatch: the row comes live
    lj = person("lj-dispatcher", f"/console/orders/{town}")
    check_screen(lj, "order")
    act(lj, "dispatch", dispatch_fill(lj, "林山寨街道城市管理办公室"))
    row(handler, town, timeout=LIVE_MS)
    expect(handler.get_by_test_id("count-to_sign")).to_contain_text("1", timeout=LIVE_MS)
    check_screen(handler, "inbox")
    open_row(handler, town)
    act(handler, "sign")
    act(handler, "reply", reply_fill("已组织维修楼顶防水层，现场已不再渗水。", photo))

    for who, tenant, shot_name in (("lj-reviewer", TOWN, "review-town"), ("zy-reviewer", DISTRICT, None),
                                   ("zz-reviewer", CITY, "review")):
        record = record_of(stack.api(who), tenant, root, status="replied")
        reviewer = person(who, "/console/review")
        open_row(reviewer, str(record["number"]))
        if shot_name:
            check_screen(reviewer, shot_name)
        expect(reviewer.get_by_test_id("attachments")).to_be_visible(timeout=STEP_MS)  # the town's photo, up here
        act(reviewer, "approve")
        act(reviewer, "close")

    record_of(stack.api("zz-caller"), CITY, root, status="closed")
    caller = person("zz-caller", "/console/revisit")
    open_row(caller, root)
    check_screen(caller, "revisit")
    act(caller, "revisit", revisit_fill("满意"))
    assert record_of(stack.api("lj-urban"), TOWN, root, satisfaction="satisfied")

    caller.goto(f"{stack.url}/console/orders/{root}")
    expect(caller.get_by_test_id("timeline")).to_be_visible(timeout=STEP_MS)
    check_screen(caller, "order-closed")
    caller.goto(f"{stack.url}/console/orders")
    check_screen(caller, "orders")


def test_the_routing_rules_screen(person: Callable[..., Page]) -> None:
    admin = person("zz-admin", "/console/routing")
    check_screen(admin, "routing")
