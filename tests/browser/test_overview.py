"""The province's supervisor oversees from the overview (总览): it is the first screen after signing in on
Keycloak's page; a click drills 郑州 → 中原区 → 林山寨街道 → a unit and the breadcrumb leads back, keeping the chosen
number; every number on screen is the API's for the same period; the overview follows a request registered below
without a reload; and the wall screen (大屏) at 1920×1080 and 3840×2160, readable and unclipped. axe-core on each.

Hooks relied on (views/OverviewView.vue, views/WallView.vue): tile-<key>, child-<code>, unit-<id>,
child-<code>-<key>, unit-<id>-<key>, open-alerts (each number also as data-value), breadcrumb, crumb-<code>,
crumb-unit, metric, wall-link, trend-chart, wall-title, wall-clock, wall-row-<code>-<key>, wall-alerts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import STEP_MS, choose, record_of
from tests.browser.pages import Screens
from tests.browser.stack import CITY, DISTRICT, PROVINCE, TOWN, Stack

LIVE_MS = 15_000  # the read model and the live stream, through the worker: a bound, never a measure
NUMBERS = ("intake_today", "open", "yellow", "red", "urged", "escalated", "overdue", "satisfaction_rate")


def _intake(title: str, phone: str) -> dict[str, Any]:
    return {"channel": "phone", "type": "help", "category": "0101", "title": title,
            "content": f"{title}：林山寨街道建设路附近，请尽快处理。", "address": "建设路", "division_code": TOWN,
            "citizen": {"name": "刘先生", "phone": phone, "callback": False}, "urgency": "normal"}


@pytest.fixture
def at_a_unit(stack: Stack) -> int:
    """A request taken at 郑州, dispatched to 中原区, on to 林山寨街道 and there to its 城市管理办公室 (by the API:
    this test watches the overview, not the desks); returns that unit's id."""
    unit = stack.units[TOWN]["urban"]
    with stack.api("zz-dispatcher") as zz, stack.api("zy-dispatcher") as zy, stack.api("lj-dispatcher") as lj:
        taken = zz.post(f"/tenants/{CITY}/orders", json=_intake("路灯不亮", "13903710301"))
        assert taken.status_code == 201, taken.text
        root = taken.json()["number"]
        assert zz.post(f"/tenants/{CITY}/orders/{root}/dispatch", json={"to": DISTRICT}).status_code == 200
        district = str(record_of(zy, DISTRICT, root)["number"])
        assert zy.post(f"/tenants/{DISTRICT}/orders/{district}/sign", json={}).status_code == 200
        assert zy.post(f"/tenants/{DISTRICT}/orders/{district}/dispatch", json={"to": TOWN}).status_code == 200
        town = str(record_of(lj, TOWN, root)["number"])
        done = lj.post(f"/tenants/{TOWN}/orders/{town}/dispatch", json={"to": unit})
        assert done.status_code == 200, done.text
    return unit


def _on_screen(page: Page) -> dict[str, tuple[str, str]]:
    """Every number the screen shows: its hook → (its data-value, its text)."""
    return {k: (v, t) for k, v, t in page.evaluate("""() => [...document.querySelectorAll('[data-value]')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => [e.dataset.test, e.dataset.value, e.textContent.trim()])""")}


def _written(value: Any, key: str) -> tuple[str, str]:
    """A number as the screen writes it: (data-value, text)."""
    if value is None:
        return "", "—"
    # As JavaScript writes a number into data-value: 1.0 is "1" there (both write the shortest form otherwise).
    said = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if key.endswith("satisfaction_rate"):
        return said, f"{value * 100:.1f}%"
    return said, said


def _expected(view: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """What the overview (or a unit's) should show, by hook, from the API's answer."""
    numbers = view["total"] if "total" in view else view["unit"]
    wanted = {f"tile-{k}": _written(numbers[k], k) for k in NUMBERS}
    for child in view.get("children", []):
        wanted |= {f"child-{child['code']}-{k}": _written(child[k], k) for k in NUMBERS}
        wanted |= {f"wall-row-{child['code']}-{k}": _written(child[k], k) for k in NUMBERS}
    for unit in view.get("units", []):
        wanted |= {f"unit-{unit['id']}-{k}": _written(unit[k], k) for k in NUMBERS}
    if "open_alerts" in view:
        wanted["open-alerts"] = (str(view["open_alerts"]), str(view["open_alerts"]))
    return wanted


def _same_as_api(page: Page, api: httpx.Client, path: str, period: str | None = None) -> dict[str, Any]:
    """Every number on screen equals the API's for the same place and period (read both; the live stream may
    still be bringing the screen up to date, so until they agree, within LIVE_MS). Returns the API's answer."""
    deadline = time.monotonic() + LIVE_MS / 1000
    while True:
        before = _expected(api.get(path, params={"period": period} if period else None).json())
        shown = _on_screen(page)
        view = api.get(path, params={"period": period} if period else None).json()
        wanted = _expected(view)
        tiles = {k for k in shown if k.startswith("tile-")}
        differing = {k: (v, wanted.get(k)) for k, v in shown.items() if wanted.get(k) != v}
        complete = tiles == {f"tile-{k}" for k in NUMBERS}
        if before == wanted and not differing and complete:  # the API held still while the screen was read
            return view
        why = differing or (f"tiles {sorted(tiles)}" if not complete else "the API kept changing")
        assert time.monotonic() < deadline, f"{path}: the screen differs from the API: {why}"
        page.wait_for_timeout(300)


def _drill(page: Page, hook: str, url: str) -> None:
    page.get_by_test_id(hook).click()
    page.wait_for_url(url)
    expect(page.get_by_test_id("tile-open")).to_be_visible(timeout=STEP_MS)


def test_the_province_supervisor_drills_from_the_province_to_a_unit_and_back(
        person: Callable[..., Page], stack: Stack, at_a_unit: int) -> None:
    screens = Screens()
    page = person("henan-supervisor")
    page.wait_for_url(f"{stack.url}/console/overview")  # a supervisor's first screen
    api = stack.api("henan-supervisor")  # the test's own reading, beside the screen's
    view = _same_as_api(page, api, f"/tenants/{PROVINCE}/overview")
    assert [c["name"] for c in view["children"]] == ["郑州市"]
    expect(page.get_by_test_id("trend-chart")).to_be_visible(timeout=STEP_MS)
    screens.check(page, "overview")

    choose(page, page.get_by_test_id("metric"), "按超期在办")  # the number the tiles below are ranked by
    page.wait_for_url("**/console/overview?metric=red")
    _drill(page, "child-4101", f"{stack.url}/console/overview/4101?metric=red")
    _same_as_api(page, api, f"/tenants/{CITY}/overview")
    _drill(page, "child-410102", f"{stack.url}/console/overview/4101/410102?metric=red")
    _same_as_api(page, api, f"/tenants/{DISTRICT}/overview")
    _drill(page, "child-410102001", f"{stack.url}/console/overview/4101/410102/410102001?metric=red")
    town = _same_as_api(page, api, f"/tenants/{TOWN}/overview")
    assert next(u for u in town["units"] if u["id"] == at_a_unit)["open"] >= 1
    screens.check(page, "overview-town")
    town_url = f"{stack.url}/console/overview/4101/410102/410102001"
    _drill(page, f"unit-{at_a_unit}", f"{town_url}/units/{at_a_unit}?metric=red")
    unit = _same_as_api(page, api, f"/tenants/{TOWN}/overview/units/{at_a_unit}")
    expect(page.get_by_test_id("crumb-unit")).to_have_text(unit["unit"]["name"])
    expect(page.get_by_test_id("breadcrumb")).to_contain_text("河南省")
    screens.check(page, "overview-unit")

    page.reload()  # a deep link lands on the same place and view
    expect(page.get_by_test_id("crumb-unit")).to_have_text(unit["unit"]["name"], timeout=STEP_MS)
    _same_as_api(page, api, f"/tenants/{TOWN}/overview/units/{at_a_unit}")
    page.get_by_test_id("crumb-410102").click()
    page.wait_for_url(f"{stack.url}/console/overview/4101/410102?metric=red")
    _same_as_api(page, api, f"/tenants/{DISTRICT}/overview")
    page.get_by_test_id("crumb-41").click()
    page.wait_for_url(f"{stack.url}/console/overview?metric=red")
    expect(page.get_by_test_id("metric")).to_contain_text("超期在办")
    _same_as_api(page, api, f"/tenants/{PROVINCE}/overview")
    screens.assert_accessible()


def test_the_overview_follows_a_request_registered_below_without_a_reload(
        person: Callable[..., Page], stack: Stack) -> None:
    page = person("henan-supervisor", "/console/overview/4101")
    api = stack.api("henan-supervisor")
    before = _same_as_api(page, api, f"/tenants/{CITY}/overview")
    district = next(c for c in before["children"] if c["code"] == DISTRICT)
    page.evaluate("window.__same_page = true")  # gone if the page reloads
    with stack.api("lj-dispatcher") as lj:
        taken = lj.post(f"/tenants/{TOWN}/orders", json=_intake("井盖缺失", "13903710302"))
        assert taken.status_code == 201, taken.text
    expect(page.get_by_test_id("tile-intake_today")).to_have_attribute(
        "data-value", str(before["total"]["intake_today"] + 1), timeout=LIVE_MS)
    expect(page.get_by_test_id(f"child-{DISTRICT}-intake_today")).to_have_attribute(
        "data-value", str(district["intake_today"] + 1), timeout=LIVE_MS)
    assert page.evaluate("window.__same_page === true"), "the overview reloaded to show the request"
    _same_as_api(page, api, f"/tenants/{CITY}/overview")


def _unclipped(page: Page) -> list[str]:
    """What of the wall lies outside the viewport or overflows its box (text cut off): nothing, if it fits."""
    return page.evaluate("""() => {
        const out = [];
        const w = window.innerWidth, h = window.innerHeight;
        for (const e of document.querySelectorAll('.wall *')) {
            const r = e.getBoundingClientRect();
            if (!r.width || !r.height) continue;
            if (r.right > w + 1 || r.bottom > h + 1 || r.left < -1 || r.top < -1)
                out.push(`${e.tagName}.${e.className} outside: ${Math.round(r.right)}×${Math.round(r.bottom)}`);
            const style = getComputedStyle(e);
            if (['STRONG', 'TD', 'TH', 'H1', 'H2', 'SPAN'].includes(e.tagName) && style.overflow !== 'visible'
                && e.scrollWidth > e.clientWidth + 1)
                out.push(`${e.tagName} ${e.textContent.trim().slice(0, 20)} cut off`);
        }
        for (const e of document.querySelectorAll('.wall .panel')) {
            if (e.scrollHeight > e.clientHeight + 1) out.push(`panel ${e.getAttribute('aria-labelledby')} overflows`);
        }
        return out;
    }""")


def test_the_wall_screen_fills_1080p_and_4k_with_the_apis_numbers(
        person: Callable[..., Page], stack: Stack) -> None:
    screens = Screens()
    page = person("henan-supervisor", "/console/overview")
    link = page.get_by_test_id("wall-link")
    expect(link).to_be_visible(timeout=STEP_MS)
    link.click()
    page.wait_for_url(f"{stack.url}/console/wall/41")
    api = stack.api("henan-supervisor")
    sizes = {}
    for width, height, name in ((1920, 1080, "wall"), (3840, 2160, "wall-4k")):
        page.set_viewport_size({"width": width, "height": height})
        expect(page.get_by_test_id("wall-title")).to_contain_text("河南省", timeout=STEP_MS)
        expect(page.get_by_test_id("trend-chart")).to_be_visible(timeout=STEP_MS)
        expect(page.get_by_test_id("wall-clock")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
        assert not page.locator("nav, header.bar").count(), "the console's frame is on the wall"
        view = _same_as_api(page, api, f"/tenants/{PROVINCE}/overview") if name == "wall" else None
        if view:
            row = next(c for c in view["children"] if c["code"] == CITY)
            expect(page.get_by_test_id(f"wall-row-{CITY}-red")).to_have_text(str(row["red"]))
        page.wait_for_timeout(300)  # the chart redrawn at the new size
        assert not _unclipped(page), f"{width}×{height}: " + "; ".join(_unclipped(page))
        sizes[width] = page.get_by_test_id("tile-open").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        screens.check(page, name)
    assert sizes[1920] >= 48, "the wall's numerals are too small to read across a room"
    assert sizes[3840] == pytest.approx(2 * sizes[1920], rel=0.02), "at 4K the wall is not twice as big"
    screens.assert_accessible()
