"""The 督办 desk in the browser: the province's supervisor urges a red order held by a town's unit, the unit's
handler — its inbox already open on that order — sees the urge arrive without a reload and signs it (督办签收), and
the desk shows it signed, in time. The red order is prepared through the API (taken 30 hours ago by 补录, urgent:
its 24-hour limit ran out; handed down 郑州 → 中原区 → 林山寨街道 → its 城市管理办公室): what is tried here is the
desk, the urge and the sign. Screens photographed and checked by axe-core on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.flow import STEP_MS, act, record_of
from tests.browser.pages import Screens, expect_text
from tests.browser.stack import CITY, DISTRICT, TOWN, Stack

LIVE_MS = 5_000  # the urge shows in the handler's open drawer without a reload: well within this
REASON = "省督办：群众多次反映路灯不亮，请今日内修复并反馈"
NOTE = "已安排今日下午维修"


def _red_order_at_the_towns_unit(stack: Stack) -> tuple[str, str]:
    """(the city's number, the town's) of an urgent request taken 30 hours ago, in the hands of the town's unit."""
    received = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    with stack.api("zz-operator") as operator:
        taken = operator.post(f"/tenants/{CITY}/orders", json={
            "channel": "phone", "type": "help", "category": "0101", "title": "林山寨街道建设路路灯不亮",
            "content": "建设路12号院门口路灯连续一周不亮，夜间出行不便。", "division_code": TOWN, "urgency": "urgent",
            "received_at": received, "citizen": {"name": "李先生", "phone": "13903710099"}})
        assert taken.status_code == 201, taken.text
    root = str(taken.json()["number"])
    steps = [("zz-dispatcher", CITY, root, {"to": DISTRICT})]
    for who, tenant, number, body in steps:
        with stack.api(who) as api:
            done = api.post(f"/tenants/{tenant}/orders/{number}/dispatch", json=body)
            assert done.status_code == 200, done.text
    for who, tenant, to in (("zy-dispatcher", DISTRICT, TOWN), ("lj-dispatcher", TOWN, stack.units[TOWN]["urban"])):
        with stack.api(who) as api:
            number = str(record_of(api, tenant, root)["number"])
            for action, body in (("sign", {}), ("dispatch", {"to": to})):
                done = api.post(f"/tenants/{tenant}/orders/{number}/{action}", json=body)
                assert done.status_code == 200, done.text
    with stack.api("lj-urban") as api:
        town = str(record_of(api, TOWN, root)["number"])
        done = api.post(f"/tenants/{TOWN}/orders/{town}/sign", json={})
        assert done.status_code == 200, done.text
    return root, town


def _until_shown(page: Page, hook: str, text: str) -> None:
    """Refresh the desk (it re-reads on its own every 15 s) until ``hook`` shows ``text``."""
    for _ in range(30):
        if text in (page.get_by_test_id(hook).inner_text() if page.get_by_test_id(hook).count() else ""):
            return
        page.get_by_test_id("refresh").click()
        page.wait_for_timeout(1000)
    expect(page.get_by_test_id(hook)).to_contain_text(text)


def test_the_province_urges_a_red_order_from_the_desk_and_the_towns_handler_signs_it_live(
        person: Callable[..., Page], stack: Stack) -> None:
    screens = Screens()
    root, town = _red_order_at_the_towns_unit(stack)

    handler = person("lj-urban", "/console/inbox/to_handle")  # open before the urge: it comes live
    handler.get_by_test_id(f"row-{town}").click()
    expect(handler.get_by_test_id("drawer")).to_contain_text(town, timeout=STEP_MS)
    handler.evaluate("window.__same_page = true")  # gone if the page reloads

    desk = person("henan-supervisor", "/console/supervise")
    _until_shown(desk, f"row-{root}", "林山寨街道建设路路灯不亮")
    expect(desk.get_by_test_id(f"holder-{root}")).to_contain_text("林山寨街道")
    expect(desk.get_by_test_id(f"late-{root}")).to_contain_text("小时")
    screens.check(desk, "supervise")
    desk.get_by_test_id(f"pick-{root}").check()
    desk.get_by_test_id("urge-selected").click()
    dialog = desk.get_by_test_id("urge-dialog").last
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("urge-reason").fill(REASON)
    screens.check(desk, "supervise-urge")
    dialog.get_by_test_id("urge-confirm").click()
    expect(desk.get_by_test_id(f"result-{root}")).to_contain_text("已督办", timeout=STEP_MS)

    # The town's handler: the urge shows in the open drawer and the 被督办 count, without a reload.
    urges = handler.get_by_test_id("drawer-urges")
    expect(urges).to_contain_text(REASON, timeout=LIVE_MS)
    expect(urges).to_contain_text("待签收")
    assert int(expect_text(handler, "count-urged")) >= 1
    assert handler.evaluate("window.__same_page === true"), "the inbox reloaded to show the urge"
    screens.check(handler, "inbox-urged")
    act(handler, "sign-urge", lambda d: d.get_by_test_id("field-note").fill(NOTE))
    # (The worker's own timer may urge the red order at the town too, at any moment: the province's urge is the one
    # followed here, by its reason.)
    expect(urges.locator("li", has_text=REASON)).to_contain_text("已签收", timeout=STEP_MS)

    # The desk: signed by the town's unit, by its 督办时限.
    desk.get_by_test_id(f"row-{root}").click()
    _until_shown(desk, f"urges-{root}", NOTE)  # the sign's note: only once signed
    signed = desk.get_by_test_id(f"urges-{root}").locator("li", has_text=REASON)
    expect(signed).to_contain_text("已签收")
    expect(signed).to_contain_text("林山寨街道城市管理办公室")
    screens.check(desk, "supervise-signed")

    # The order page counts each urge once: its panel and its header agree.
    desk.goto(f"{stack.url}/console/orders/{root}")
    total = desk.get_by_test_id("urge-total")
    expect(total).to_have_text(re.compile(r"^\(\d+\)$"), timeout=STEP_MS)
    count = total.inner_text().strip("()")
    expect(desk.get_by_test_id("order-page")).to_contain_text(f"督办 {count} 次")
    expect(desk.get_by_test_id("urges").locator("li", has_text=REASON)).to_have_count(1)
    screens.check(desk, "order-urges")
    screens.assert_accessible()
