"""What a person reads is Chinese (issue 33, item 9): Keycloak's sign-in page under the hotline's name, in Chinese
whatever the browser's language, accessible; a refusal of the API said in Chinese from its code, naming the tenant by
its name (never the English detail, never a code).

Hooks relied on: orders-error (views/OrdersView.vue), order-error (views/OrderView.vue); Keycloak's #username,
#password, #kc-login, #kc-header-wrapper, #kc-page-title.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from sso.realm import HOTLINE_NAME
from tests.browser.flow import STEP_MS
from tests.browser.pages import VIEWPORT, Screens
from tests.browser.stack import CITY, Stack

LATIN = re.compile(r"[A-Za-z]{2,}")  # an English word in what a person reads


def test_the_sign_in_page_is_chinese_under_the_hotlines_name_even_for_an_english_browser(
        browser: Browser, stack: Stack) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{stack.url}/console/")
        page.wait_for_selector("#username")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert HOTLINE_NAME in page.title()
        expect(page.locator("#kc-header-wrapper")).to_have_text(HOTLINE_NAME)
        # Dark on light (keycloak.v2 writes its header white): axe cannot measure text over an image or gradient.
        assert page.locator("#kc-header-wrapper").evaluate("e => getComputedStyle(e).color") == "rgb(31, 35, 41)"
        assert page.locator("body").evaluate("e => getComputedStyle(e).backgroundImage") == "none"
        expect(page.locator("#kc-page-title")).to_have_text("登录账号")
        expect(page.locator("label[for=username]")).to_contain_text("用户名")
        expect(page.locator("label[for=password]")).to_contain_text("密码")
        expect(page.locator("#kc-login")).to_have_text("登录")
        assert not LATIN.search(page.locator("body").inner_text()), page.locator("body").inner_text()
        screens = Screens()
        screens.check(page, "sign-in")
        screens.assert_accessible()

        page.fill("#username", stack.username("zz-dispatcher"))
        page.fill("#password", "not-the-password")
        page.click("#kc-login")
        expect(page.locator("#input-error-username")).to_contain_text("用户名或密码不正确")
        page.fill("#password", stack.password)
        page.click("#kc-login")
        page.wait_for_url(f"{stack.url}/console/**")
    finally:
        context.close()


def test_a_refusal_reads_in_chinese_naming_the_tenant(person: Callable[..., Page]) -> None:
    screens = Screens()
    # 郑州's admin sets the centre up and does not read its orders: 工单查询 is refused, said with 郑州市's name.
    admin = person("zz-admin", "/console/orders")
    refusal = admin.get_by_test_id("orders-error")
    expect(refusal).to_contain_text("您无权查看郑州市的工单", timeout=STEP_MS)
    assert not LATIN.search(refusal.inner_text()) and CITY not in refusal.inner_text(), refusal.inner_text()
    screens.check(admin, "refusal-orders")

    # An order nobody can see here: its number, the centre's name, no English.
    number = f"{CITY}-20260101-999999"
    dispatcher = person("zz-dispatcher", f"/console/orders/{number}")
    missing = dispatcher.get_by_test_id("order-error")
    expect(missing).to_contain_text(f"郑州市没有您能查看的工单 {number}", timeout=STEP_MS)
    assert not LATIN.search(missing.inner_text()), missing.inner_text()
    screens.check(dispatcher, "refusal-order")
    screens.assert_accessible()
