"""郑州's admin staffs desks below it in the browser (issue 33, item 7): a dispatcher for 中原区 and a handler for
an office of 林山寨街道, without holding either role; a grant it may not make (督办员) is greyed out with why; a bad
value is refused beside its field. Each new person signs in on Keycloak's own page, sets a password of their own
as Keycloak asks, and sees their inbox. The units screen: a unit made, renamed and its history read. Every screen
and dialog photographed and checked by axe-core."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Browser, Locator, Page, expect

from sso.demo import PERSON_NAMES
from tests.browser.flow import STEP_MS, choose
from tests.browser.pages import VIEWPORT, Screens
from tests.browser.stack import DISTRICT, TOWN, Stack

INITIAL = "Initial-12345!"


def _go_down(page: Page, name: str, code: str) -> None:
    """Pick a level right below the one shown, in the tenant picker."""
    choose(page, page.get_by_test_id("tenant-child"), name)
    expect(page.get_by_test_id(f"tenant-crumb-{code}")).to_be_visible()
    page.wait_for_url(f"**tenant={code}**")
    page.wait_for_load_state("networkidle")


def _open_add(page: Page) -> Locator:
    page.get_by_test_id("person-add").click()
    dialog = page.get_by_test_id("person-dialog")
    expect(dialog).to_be_visible()
    return dialog


def _field_error(dialog: Locator, field: str) -> str:
    error = dialog.get_by_test_id(f"error-{field}").locator(".el-form-item__error")
    expect(error).to_be_visible(timeout=STEP_MS)
    return error.inner_text().strip()


def _tick(dialog: Locator, role: str) -> None:
    dialog.get_by_test_id(f"person-role-{role}").click()


def first_sign_in(browser: Browser, stack: Stack, username: str, password: str, new_password: str) -> Page:
    """A new person's first sign-in, as they would do it: Keycloak's form, then the password of their own that
    Keycloak asks for (the admin's was temporary), then the console."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{stack.url}/console/")
    page.wait_for_selector("#username")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_selector("#password-new")  # Keycloak's "update password" (required action UPDATE_PASSWORD)
    page.fill("#password-new", new_password)
    page.fill("#password-confirm", new_password)
    page.locator("#password-new").locator("xpath=ancestor::form").locator("[type=submit]").first.click()
    page.wait_for_url(f"{stack.url}/console/**")
    page.wait_for_load_state("networkidle")
    return page


def test_zhengzhous_admin_staffs_a_district_desk_and_a_town_office(browser: Browser, stack: Stack,
                                                                    person: Callable[..., Page]) -> None:
    screens = Screens()
    run = uuid.uuid4().hex[:5]
    admin = person("zz-admin", "/console/admin/people")
    expect(admin.get_by_test_id("tenant-crumb-4101")).to_have_text("郑州市")
    expect(admin.get_by_test_id(f"person-{stack.username('zz-operator')}")).to_contain_text("话务员")
    screens.check(admin, "admin-people")

    # 中原区's dispatcher: the admin holds no dispatcher role, and gives it.
    _go_down(admin, "中原区", DISTRICT)
    dialog = _open_add(admin)
    supervisor = dialog.get_by_test_id("person-role-supervisor")
    expect(supervisor.locator("input")).to_be_disabled()  # a grant it may not make: greyed out, with why
    supervisor.hover()
    expect(admin.locator(".el-popper:visible")).to_contain_text("只有本身持有「督办员」角色的管理员才能授予此角色")
    dispatcher = f"zy-disp-{run}"
    dialog.get_by_test_id("person-name").fill("钱派单")
    dialog.get_by_test_id("person-username").fill(stack.username("zy-dispatcher"))  # taken
    dialog.get_by_test_id("person-password").fill(INITIAL)
    _tick(dialog, "dispatcher")
    screens.check(admin, "admin-person-dialog")
    dialog.get_by_test_id("person-save").click()
    assert _field_error(dialog, "username") == "登录名已被使用，请换一个"
    dialog.get_by_test_id("person-username").fill(dispatcher)
    dialog.get_by_test_id("person-save").click()
    expect(dialog).to_be_hidden(timeout=STEP_MS)
    row = admin.get_by_test_id(f"person-{dispatcher}")
    expect(row).to_contain_text("钱派单")
    expect(row).to_contain_text("派单员")
    expect(row).to_contain_text("待本人设置密码")

    # 林山寨街道's office: a handler needs its unit, refused beside the field until it is chosen.
    _go_down(admin, "林山寨街道", TOWN)
    handler = f"lj-safety-{run}"
    dialog = _open_add(admin)
    dialog.get_by_test_id("person-name").fill("孙承办")
    dialog.get_by_test_id("person-username").fill(handler)
    dialog.get_by_test_id("person-password").fill(INITIAL)
    _tick(dialog, "handler")
    dialog.get_by_test_id("person-save").click()
    assert _field_error(dialog, "unit_id") == "承办人、部门承办人须选择所在单位"
    choose(admin, dialog.get_by_test_id("person-unit"), "林山寨街道平安建设办公室")
    dialog.get_by_test_id("person-save").click()
    expect(dialog).to_be_hidden(timeout=STEP_MS)
    row = admin.get_by_test_id(f"person-{handler}")
    expect(row).to_contain_text("林山寨街道平安建设办公室")
    expect(row).to_contain_text("承办人")
    screens.check(admin, "admin-people-town")

    # Its history, in Chinese: who made it, with what.
    admin.get_by_test_id(f"person-history-{handler}").click()
    history = admin.get_by_test_id("history")
    expect(history.get_by_test_id("history-row")).to_have_count(1)
    expect(history.get_by_test_id("history-row")).to_contain_text("新增")
    expect(history.get_by_test_id("history-row")).to_contain_text(PERSON_NAMES["zz-admin"])
    expect(history.get_by_test_id("history-row")).to_contain_text("角色：承办人")
    screens.check(admin, "admin-person-history")
    admin.keyboard.press("Escape")
    expect(history).to_be_hidden()

    # The handler forgot the password: a temporary one, shown once.
    admin.get_by_test_id(f"person-reset-{handler}").click()
    admin.get_by_role("button", name="重置", exact=True).click()
    temporary = admin.get_by_test_id("temporary-password")
    expect(temporary).to_have_text(re.compile(r"^\S{10,}$"), timeout=STEP_MS)
    password = temporary.inner_text().strip()
    screens.check(admin, "admin-person-reset")
    admin.get_by_role("button", name="我已记下").click()

    # Each signs in, sets a password of their own, and sees their inbox.
    desk = first_sign_in(browser, stack, dispatcher, INITIAL, f"Mine-{run}-12345!")
    desk.goto(f"{stack.url}/console/inbox")
    expect(desk.get_by_test_id("inbox")).to_be_visible(timeout=STEP_MS)
    expect(desk.get_by_test_id("tab-to_dispatch")).to_be_visible()
    office = first_sign_in(browser, stack, handler, password, f"Mine-{run}-67890!")
    expect(office).to_have_url(re.compile(r"/console/inbox(/|$)"), timeout=STEP_MS)  # a handler's home
    expect(office.get_by_test_id("inbox")).to_be_visible(timeout=STEP_MS)
    screens.check(office, "admin-new-handler-inbox")
    for page in (desk, office):
        page.context.close()
    screens.assert_accessible()


def test_zhengzhous_admin_makes_and_renames_a_districts_unit(stack: Stack, person: Callable[..., Page]) -> None:
    screens = Screens()
    name = f"中原区政务服务办公室{uuid.uuid4().hex[:3]}"
    admin = person("zz-admin", f"/console/admin/units?tenant={DISTRICT}")
    expect(admin.get_by_test_id(f"tenant-crumb-{DISTRICT}")).to_have_text("中原区")
    screens.check(admin, "admin-units")
    admin.get_by_test_id("unit-add").click()
    dialog = admin.get_by_test_id("unit-dialog")
    dialog.get_by_test_id("unit-code").fill("Bad Code")
    dialog.get_by_test_id("unit-name").fill(name)
    dialog.get_by_test_id("unit-save").click()
    assert "编码须为小写字母" in _field_error(dialog, "code")
    dialog.get_by_test_id("unit-code").fill("housing")  # 中原区's 住房和城乡建设局 has it
    screens.check(admin, "admin-unit-dialog")
    dialog.get_by_test_id("unit-save").click()
    assert _field_error(dialog, "code") == "本级已有该编码的单位，请换一个编码"
    dialog.get_by_test_id("unit-code").fill(f"affairs-{uuid.uuid4().hex[:4]}")
    dialog.get_by_test_id("unit-save").click()
    expect(dialog).to_be_hidden(timeout=STEP_MS)
    row = admin.locator("tr", has_text=name)
    expect(row).to_contain_text("职能部门")
    unit_id = row.get_attribute("data-test").removeprefix("unit-")
    admin.get_by_test_id(f"unit-edit-{unit_id}").click()
    dialog.get_by_test_id("unit-name").fill(name + "（新）")
    dialog.get_by_test_id("unit-save").click()
    expect(dialog).to_be_hidden(timeout=STEP_MS)
    expect(admin.get_by_test_id(f"unit-{unit_id}")).to_contain_text(name + "（新）")
    admin.get_by_test_id(f"unit-history-{unit_id}").click()
    rows = admin.get_by_test_id("history").get_by_test_id("history-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"名称：{name} → {name}（新）")
    screens.check(admin, "admin-unit-history")
    screens.assert_accessible()
