"""One request through the console, every step in the browser by the person whose step it is, each signed in
through Keycloak's own page: taken at 郑州's seat, dispatched to 中原区, on to 林山寨街道, handled there with a
photo, reviewed up the levels (town → district → city, docs/crosslevel.md), closed and followed up by 郑州's caller.
Each screen is photographed for docs/console/ and checked by axe-core on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.flow import STEP_MS, act, choose, dispatch_fill, open_row, record_of, reply_fill, row
from tests.browser.pages import Screens, expect_text, png
from tests.browser.stack import CITY, DISTRICT, TOWN, Stack

PHONE = "13903710027"
LIVE_MS = 5_000  # a dispatch shows in the handler's open inbox without a reload: well within this


def tab_to(page: Page, field: Locator, most: int = 40) -> None:
    """Tab (forward) until ``field`` has the focus: every field of the seat is reachable without the mouse."""
    for _ in range(most):
        if field.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{field} is not reached by Tab")


def pick_by_keyboard(page: Page, label: str, typed: str) -> None:
    """A filterable cascader (诉求分类, 所属区域): focus it, type to filter, ↓ to the first match, Enter."""
    tab_to(page, page.get_by_role("combobox", name=label))
    page.keyboard.type(typed)
    # The cascader filters after a pause (its debounce): wait for this filter's matches, not the last one's.
    expect(page.locator(".el-cascader__suggestion-item:visible").first).to_contain_text(typed)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".el-cascader__suggestion-item:visible")).to_have_count(0)
    expect(page.get_by_role("combobox", name=label)).not_to_have_value("")
    page.keyboard.press("Escape")  # the cascader keeps the focus and its panel: leave it


def take_call(page: Page, screens: Screens) -> str:
    """The seat: F2 focuses the phone, the form is filled from the keyboard, Alt+S submits; the number shows."""
    page.keyboard.press("F2")
    expect(page.get_by_test_id("phone")).to_be_focused()
    page.keyboard.type(PHONE)
    expect(page.get_by_test_id("caller-history")).to_contain_text(PHONE, timeout=STEP_MS)
    pick_by_keyboard(page, "诉求分类", "漏水")
    pick_by_keyboard(page, "所属区域", "林山寨")
    for hook, value in (("title", "楼顶漏水"), ("content", "中原区林山寨街道建设路12号院3号楼楼顶漏水，雨天屋内渗水。"),
                        ("address", "建设路12号院3号楼"), ("citizen-name", "王女士")):
        tab_to(page, page.get_by_test_id(hook))
        page.keyboard.type(value)
    screens.check(page, "seat")
    page.keyboard.press("Alt+s")
    number = page.get_by_test_id("order-number")
    expect(number).to_contain_text(f"{CITY}-", timeout=STEP_MS)
    screens.check(page, "seat-taken")
    return number.inner_text().strip()


def decide(page: Page, number: str, button: str) -> None:
    """A decision on the review desk: 通过 (then 办结 is offered), 办结 (then the order leaves the queue)."""
    page.get_by_test_id(button).click()
    done = page.get_by_test_id("close") if button == "approve" else page.get_by_test_id(f"row-{number}")
    error = page.get_by_test_id("decision-error")
    expect(done).to_be_visible(timeout=STEP_MS) if button == "approve" else expect(done).to_have_count(
        0, timeout=STEP_MS)
    assert not error.count() or not error.inner_text().strip(), error.inner_text()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    target = tmp_path / "维修后.png"
    target.write_bytes(png())
    return target


def test_a_call_at_zhengzhous_seat_is_handled_at_a_town_and_followed_up(
        person: Callable[..., Page], stack: Stack, photo: Path) -> None:
    screens = Screens()
    journey(person, stack, photo, screens)
    screens.assert_accessible()


def journey(person: Callable[..., Page], stack: Stack, photo: Path, screens: Screens) -> None:
    seat = person("zz-operator", "/console/seat")
    expect(seat.get_by_test_id("who")).to_have_text("张敏 · 郑州市 12345 热线")  # by name, never "zz-operator · 4101"
    root = take_call(seat, screens)

    desk = person("zz-dispatcher", "/console/dispatch")
    row(desk, root)
    # The demo's 派单目录 suggests out of the box: 供水管道漏水 → the city's water department.
    expect(desk.get_by_test_id(f"suggestion-{root}")).to_contain_text("郑州市水利局", timeout=STEP_MS)
    screens.check(desk, "dispatch")
    choose(desk, desk.get_by_test_id(f"to-{root}"), "中原区")
    desk.get_by_test_id(f"pick-{root}").check()
    desk.get_by_test_id("dispatch-selected").click()
    expect(desk.get_by_test_id(f"result-{root}")).to_contain_text("已派出", timeout=STEP_MS)
    screens.check(desk, "dispatch-done")  # the green 已派出 on the chosen row, readable (contrast)

    district = str(record_of(stack.api("zy-dispatcher"), DISTRICT, root)["number"])
    zy = person("zy-dispatcher", "/console/inbox/to_sign")
    open_row(zy, district)
    expect(zy.get_by_test_id("summary-origin")).to_contain_text("郑州市")  # the level by name, not 4101
    expect(zy.get_by_test_id("step-actor").first).to_have_text("郑州市")
    screens.check(zy, "inbox-district")
    act(zy, "sign")
    act(zy, "dispatch", dispatch_fill(zy, "林山寨街道"))

    town = str(record_of(stack.api("lj-dispatcher"), TOWN, root)["number"])
    handler = person("lj-urban", "/console/inbox/to_sign")  # open before the dispatch: the row comes live
    waiting = int(expect_text(handler, "count-to_sign"))
    handler.evaluate("window.__same_page = true")  # gone if the page reloads
    lj = person("lj-dispatcher", "/console/inbox/to_sign")
    open_row(lj, town)
    act(lj, "dispatch", dispatch_fill(lj, "林山寨街道城市管理办公室"))
    row(handler, town, timeout=LIVE_MS)
    assert handler.evaluate("window.__same_page === true"), "the inbox reloaded to show the dispatch"
    expect(handler.get_by_test_id("count-to_sign")).to_have_text(str(waiting + 1), timeout=LIVE_MS)
    screens.check(handler, "inbox")
    open_row(handler, town)
    act(handler, "sign")
    act(handler, "reply", reply_fill("已组织维修楼顶防水层，现场已不再渗水。", photo))

    for who, tenant, shot_name in (("lj-reviewer", TOWN, "review-town"), ("zy-reviewer", DISTRICT, None),
                                   ("zz-reviewer", CITY, "review")):
        number = str(record_of(stack.api(who), tenant, root, status="replied")["number"])
        reviewer = person(who, "/console/review")
        row(reviewer, number).click()
        expect(reviewer.get_by_test_id("attachments")).to_contain_text(photo.name, timeout=STEP_MS)  # up here too
        if shot_name:
            screens.check(reviewer, shot_name)
        decide(reviewer, number, "approve")
        decide(reviewer, number, "close")

    record_of(stack.api("zz-caller"), CITY, root, status="closed")
    caller = person("zz-caller", "/console/revisit")
    row(caller, root).click()
    caller.get_by_test_id("satisfaction-satisfied").click()
    screens.check(caller, "revisit")
    caller.get_by_test_id("save-revisit").click()
    expect(caller.get_by_test_id(f"row-{root}")).to_have_count(0, timeout=STEP_MS)
    assert record_of(stack.api("lj-urban"), TOWN, root, satisfaction="satisfied")

    caller.goto(f"{stack.url}/console/orders/{root}")
    timeline = caller.get_by_test_id("timeline")
    expect(timeline).to_be_visible(timeout=STEP_MS)
    expect(caller.get_by_test_id("order-status")).to_contain_text("已办结")
    expect(caller.get_by_test_id("action-revisit")).to_have_count(0)  # rated: no 回访 offered any more
    # Every level's people and offices by name, the town's office too, which the city may not list.
    expect(timeline).to_contain_text("许刚 · 林山寨街道 · 林山寨街道城市管理办公室")
    expect(timeline).to_contain_text("派至 林山寨街道城市管理办公室")
    for code_or_username in ("单位 ", stack.username("lj-urban"), stack.username("zz-operator")):
        expect(timeline).not_to_contain_text(code_or_username)
    expect(caller.get_by_test_id("attachments").locator("a").first).to_have_attribute(
        "title", re.compile(f"^{re.escape(photo.name)} · 许刚 · "))  # sent by the town's handler, by name
    screens.check(caller, "order")
    caller.goto(f"{stack.url}/console/orders")
    screens.check(caller, "orders")


def test_the_routing_rules_screen(person: Callable[..., Page]) -> None:
    screens = Screens()
    admin = person("zz-admin", "/console/routing")
    screens.check(admin, "routing")
    screens.assert_accessible()
