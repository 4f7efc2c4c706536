"""`hotline bench console`: the console as its people feel it, in Debian's Chromium through the real console, with
a million orders in the city.

1. A database of the bench's own (kept with --keep): 河南 → 郑州 → 中原区, 郑州 filled by set-based SQL with
   ``--orders`` orders of two years (callers with about five requests each, one department holding 10,000 open
   ones), an operator and that department's handler in Keycloak, the API (uvicorn) serving the built console.
2. The seat's first load: the JavaScript the browser fetched for it (Resource Timing), compressed.
3. Caller history: from the key press of a phone number's last digit to the caller's newest request listed.
4. Intake: from the press of 提交受理 to the new number shown.
5. Inbox: from the click on 承办 to the first page of the department's 10,000 open orders shown.
6. Overview (``bench/console_overview.py``): with the assessment bench's month over the whole province
   (``--month-orders``), the province supervisor's overview first rendered, a drill click to a child's numbers, and
   the hot-spot map of the province's districts and counties first drawn.
7. Ranking (``bench/console_ranking.py``): the city's ranking first rendered and its 通报 PDF made.
Each beside the same request's p99 from a plain HTTP client (``*_api_p99_ms``): what the browser adds.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from bench import console_overview as overview
from bench.console_browser import arm, elapsed_ms, js_loaded, launch, sign_in
from bench.console_data import CITY, fill_city, newest_numbers, phone
from bench.console_ranking import measure as measure_ranking
from bench.scratch import scratch_database, tenant_tree
from embedded.process import free_port, wait_until
from infra.settings import Settings
from sso.realm import admin_client, sync_realm
from sso.tokens import password_grant
from sso.users import NewUser, create_user
from tenants.divisions import Division

PASSWORD = "Bench-12345!"
REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "console" / "dist"
HISTORY = "[data-test=caller-history]"


def p99(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[98], 1) if len(values) > 1 else values[0]


def run(settings: Settings, *, json_out: bool = False, orders: int = 1_000_000, keep: bool = False,
        phones: int = 50, submits: int = 30, opens: int = 20, month_orders: int = 1_000_000,
        month_under: str = overview.PROVINCE, renders: int = 20, drills: int = 30) -> dict[str, object]:
    from cli.output import console

    if not (DIST / "index.html").exists():
        subprocess.run([sys.executable, "-m", "cli.main", "console", "build"], cwd=REPO, check=True)
    with scratch_database(settings, "bench_console", name="bench_console", keep=keep) as bench:
        try:
            result = _run(bench, orders, phones, submits, opens, (month_orders, month_under), renders, drills)
        finally:
            sync_realm(settings)  # the console client's redirect URI back to the platform's own console
    result |= {"orders": orders, "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    console.print(
        f"console over {orders:,} orders: caller history p99 {result['caller_history_p99_ms']} ms "
        f"(API {result['caller_history_api_p99_ms']}), intake submit p99 {result['intake_submit_p99_ms']} ms "
        f"(API {result['intake_submit_api_p99_ms']}), inbox first page p99 {result['inbox_first_page_p99_ms']} ms "
        f"(API {result['inbox_first_page_api_p99_ms']}), seat JS {result['seat_js_gzip_kb']} KB compressed, "
        f"overview render p95 {result['overview_render_ms']} ms (API {result['overview_api_p95_ms']}), "
        f"drill-down p95 {result['drilldown_ms']} ms (API {result['drilldown_api_p95_ms']}), "
        f"hot-spot map p95 {result['map_render_ms']} ms (API {result['hotspots_api_p95_ms']} + "
        f"{result['map_api_p95_ms']}), ranking p95 {result['ranking_render_ms']} ms, "
        f"通报 PDF {result['report_pdf_ms']} ms")
    if json_out:
        print(json.dumps(result))
    return result


def _run(bench: Settings, orders: int, phones: int, submits: int, opens: int, month_of: tuple[int, str],
         renders: int, drills: int) -> dict[str, object]:
    from cli.output import console

    engine = tenant_tree(bench, [Division("41", "河南省"), Division(CITY, "郑州市"), Division("410102", "中原区")])
    console.print(f"filling 郑州 with {orders:,} orders (kept between runs with --keep) …")
    started = time.perf_counter()
    unit = fill_city(bench.postgres_url, orders)
    fill_s = time.perf_counter() - started
    month = overview.load_month(bench, engine, month_of[0], console.print, under=month_of[1])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bench = bench.model_copy(update={"console_url": url, "api_port": port})
    sync_realm(bench)
    kc = admin_client(bench)
    suffix = uuid.uuid4().hex[:6]
    people = {"operator": f"bench-seat-{suffix}", "handler": f"bench-housing-{suffix}",
              "supervisor": f"bench-supervisor-{suffix}", "province": f"bench-province-{suffix}"}
    create_user(kc, engine, NewUser(people["operator"], PASSWORD, CITY, ["operator"], name="话务员"))
    create_user(kc, engine, NewUser(people["handler"], PASSWORD, CITY, ["handler"], unit, name="住建局承办人"))
    create_user(kc, engine, NewUser(people["supervisor"], PASSWORD, CITY, ["supervisor"], name="考核督查员"))
    create_user(kc, engine, NewUser(people["province"], PASSWORD, overview.PROVINCE, ["supervisor"], name="省督办员"))
    engine.dispose()
    env = {**os.environ, **bench.as_env(), "HOTLINE_CONSOLE_URL": url, "HOTLINE_API_PORT": str(port)}
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory", "--host",
                            "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"], env=env)
    try:
        if not wait_until(lambda: _answers(url), 60):
            raise RuntimeError("the API did not start")
        sample = [phone(i * 3917 + 11) for i in range(phones)]
        newest = newest_numbers(bench.postgres_url, sample)
        result = _browser(url, people, sample, newest, submits, opens, renders, drills)
        result |= _api_only(bench, url, people, sample, submits, opens)
        result |= measure_ranking(bench, url, people["supervisor"], PASSWORD, CITY, opens)
        result |= overview.api_p95(bench, url, people["province"], PASSWORD, max(renders, drills))
    finally:
        for name in people.values():
            kc.delete_user(kc.get_user_id(name))
        api.terminate()
        api.wait(10)
    return result | {"fill_s": round(fill_s, 1)} | month


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _browser(url: str, people: dict[str, str], sample: list[str], newest: dict[str, str], submits: int,
             opens: int, renders: int, drills: int) -> dict[str, object]:
    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")
        browser = launch(p)
        seat = sign_in(browser, url, people["operator"], PASSWORD)
        seat.get_by_test_id("submit").wait_for()
        js = js_loaded(seat, DIST)
        history = [_history_ms(seat, number, newest[number]) for number in sample]
        intake = [_submit_ms(seat, i) for i in range(submits)]
        inbox_page = sign_in(browser, url, people["handler"], PASSWORD)
        inbox = [_inbox_ms(inbox_page) for _ in range(opens)]
        overview_keys = overview.measure(browser, url, people["province"], PASSWORD, renders, drills)
        browser.close()
    return overview_keys | {"caller_history_p99_ms": p99(history), "intake_submit_p99_ms": p99(intake),
            "inbox_first_page_p99_ms": p99(inbox), "seat_js_gzip_kb": round(js["gzip_kb"], 1),
            "caller_history_p50_ms": round(statistics.median(history), 1),
            "intake_submit_p50_ms": round(statistics.median(intake), 1),
            "inbox_first_page_p50_ms": round(statistics.median(inbox), 1),
            "seat_js_files": js["files"], "seat_js_raw_kb": round(js["decoded_kb"], 1),
            "seat_js_gzip_build_kb": round(js["gzip_build_kb"], 1),
            "seat_js_served_compressed": js["served_compressed"]}


def _history_ms(page: Page, number: str, newest: str) -> float:
    """Type the caller's number on a fresh call; time the last digit's key press to their newest request listed."""
    page.keyboard.press("F2")
    field = page.get_by_test_id("phone")
    field.fill(number[:-1])
    field.focus()
    arm(page, "keydown", f"{HISTORY} [data-test='history-row-{newest}']")
    page.keyboard.press(number[-1])
    return elapsed_ms(page)


def _fill_intake(page: Page, i: int) -> None:
    page.keyboard.press("F2")
    page.get_by_test_id("phone").fill(f"137{i:08d}")
    for label, typed in (("诉求分类", "停水"), ("所属区域", "中原区")):
        box = page.get_by_role("combobox", name=label)
        box.focus()
        page.keyboard.type(typed)
        page.locator(".el-cascader__suggestion-item:visible").filter(has_text=typed).first.click()
        page.wait_for_function("([e, t]) => e.value.includes(t)", arg=[box.element_handle(), typed])
        page.keyboard.press("Escape")
    page.get_by_test_id("title").fill(f"小区停水{i}")
    page.get_by_test_id("content").fill(f"建设路{i}号院停水一天，请尽快恢复供水。")
    page.get_by_test_id("citizen-name").fill("张先生")


def _submit_ms(page: Page, i: int) -> float:
    """From the click on 提交受理 to the new order's number shown."""
    _fill_intake(page, i)
    arm(page, "click", "[data-test=order-number]", f"{CITY}-")
    page.get_by_test_id("submit").click()
    try:
        return elapsed_ms(page)
    except PlaywrightError:
        refusal = page.get_by_test_id("submit-error")
        page.screenshot(path="bench-console-intake.png")
        raise RuntimeError(f"intake {i} not taken: {refusal.inner_text() if refusal.count() else 'no number shown'}"
                           " (bench-console-intake.png)") from None


def _inbox_ms(page: Page) -> float:
    """From the click on 承办 (from another screen) to the first page of the inbox's rows shown."""
    page.get_by_role("menuitem", name="工单查询").click()
    page.wait_for_url("**/console/orders")
    page.wait_for_load_state("networkidle")
    arm(page, "click", ".inbox [data-test^=row-]")
    page.get_by_role("menuitem", name="承办").click()
    return elapsed_ms(page)


def _api_only(bench: Settings, url: str, people: dict[str, str], sample: list[str], submits: int,
              opens: int) -> dict[str, object]:
    """The same requests from a plain HTTP client with a bearer token: the API's own share."""
    def headers(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {password_grant(bench.issuer, people[who], PASSWORD)['access_token']}"}

    seat, handler = headers("operator"), headers("handler")
    base = f"{url}/api/v1/tenants/{CITY}"
    with httpx.Client(timeout=30) as http:
        def timed(method: str, path: str, hdrs: dict[str, str], **kw: object) -> float:
            t0 = time.perf_counter()
            r = http.request(method, f"{base}{path}", headers=hdrs, **kw)  # type: ignore[arg-type]
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code >= 400:
                raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")
            return ms

        history = [timed("GET", f"/callers/{n}", seat, params={"limit": 20}) for n in sample]
        intake = [timed("POST", "/orders", seat, json={
            "channel": "phone", "type": "help", "category": "1301", "title": f"小区停水{i}",
            "content": f"建设路{i}号院停水一天，请尽快恢复供水。", "division_code": "410102", "urgency": "normal",
            "citizen": {"name": "张先生", "phone": f"136{i:08d}", "callback": True}}) for i in range(submits)]
        counts = http.get(f"{base}/inbox", headers=handler).json()["counts"]
        tab = next((t for t in ("to_handle", "to_sign") if counts.get(t)), "to_handle")
        inbox = [timed("GET", f"/inbox/{tab}", handler, params={"limit": 50}) for _ in range(opens)]
        counted = [timed("GET", "/inbox", handler) for _ in range(opens)]
    return {"inbox_counts_api_p99_ms": p99(counted), "caller_history_api_p99_ms": p99(history),
            "intake_submit_api_p99_ms": p99(intake),
            "inbox_first_page_api_p99_ms": p99(inbox), "inbox_open_orders": counts.get(tab)}
