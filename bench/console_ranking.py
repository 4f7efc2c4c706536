"""The console bench's ranking (考核排名) and monthly 通报: ``ranking_render_ms`` and ``report_pdf_ms``.

- ``ranking_render_ms``: p95, in Debian's Chromium, from the click on 考核排名 (from another screen) to the ranking's
  rows shown, for the last full month (the screen's default) — the API's ranking with its movement against the
  month before, and the two tables drawn.
- ``report_pdf_ms``: p95 of ``GET /assessment/report.pdf`` of a city's month from a plain HTTP client.

The console bench writes its city's orders by SQL without event logs, so there is nothing for the assessment's
read model to be rebuilt from: ``fill_read_model`` writes the read model's day tables (``assess_node_day``,
``assess_unit_day``) for the last months directly, varied by unit and day, unless they already hold that month
(e.g. the assessment bench's month, rebuilt from real event logs, in the same database).
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta

import httpx
import psycopg
from playwright.sync_api import Browser, Page, sync_playwright

from bench.console_browser import arm, elapsed_ms, launch, sign_in
from core.orders.facts import COUNTERS
from core.sla.calendar import CST
from infra.settings import Settings
from sso.tokens import password_grant
from tenants.codes import validate_code

# Each counter of a (subject, day) from n, its requests, and h, a hash of the subject and the day.
COUNTS = {
    "received": "n", "intake": "n", "repeated": "n / 20", "answered": "n / 25", "dispatched": "n",
    "assigned": "n", "sign_due": "n", "signed_in_time": "n * (60 + h % 40) / 100", "contact_due": "n",
    "contacted": "n * (50 + h % 50) / 100", "closed": "n * 9 / 10", "closed_on_time": "n * (55 + h % 35) / 100",
    "overdue": "n / (5 + h % 20)", "returned": "n / 50", "escalated": "0", "reopened": "n / 40",
    "urged": "n / (10 + h % 30)", "rated": "n * 7 / 10", "satisfied": "n * (30 + h % 30) / 100",
    "basically_satisfied": "n / 10", "unsatisfied": "n / 20", "resolved": "n * (40 + h % 30) / 100",
    "declined": "n / 30", "merged": "n / 60", "rejected": "n / 80"}
RANKING_ROWS = "[data-test^=row-departments-], [data-test^=row-tenants-]"


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20, method="inclusive")[18], 1) if len(values) > 1 else values[0]


def last_full_month(today: date) -> str:
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return f"{first.year:04d}-{first.month:02d}"


def fill_read_model(url: str, tenant: str, today: date, months: int = 2) -> int:
    """Counters for ``tenant``'s children and units over the ``months`` full months before ``today`` (and this month
    so far), unless the read model already counts something for ``tenant`` in the last full month; returns the rows
    written."""
    end = today + timedelta(days=1)
    start = today.replace(day=1)
    for _ in range(months):
        start = (start - timedelta(days=1)).replace(day=1)
    last = date.fromisoformat(last_full_month(today) + "-01")
    with psycopg.connect(url, autocommit=True) as conn:
        counted = conn.execute("SELECT count(*) FROM public.assess_node_day WHERE node = %s AND day >= %s AND day < %s",
                               (tenant, last, today.replace(day=1))).fetchone()[0]  # type: ignore[index]
        if counted:
            return 0
        nodes = [tenant] + [c for (c,) in conn.execute(
            "SELECT code FROM public.tenants WHERE parent_code = %s AND status = 'active'", (tenant,)).fetchall()]
        schema = f"t_{validate_code(tenant)}"
        units = [u for (u,) in conn.execute(f'SELECT id FROM "{schema}".units WHERE active').fetchall()]
        # Per (subject, day): n requests, of which most signed in time, called, closed (on time or not), followed
        # up and rated; varied by a hash of the subject and the day, so ranks move from month to month.
        values = ", ".join(f"({COUNTS[name]})::int" for name in COUNTERS).replace("%", "%%")  # psycopg's escape
        series = ("generate_series(%s::date, %s::date - 1, interval '1 day') AS d(day), "
                  "LATERAL (SELECT abs(hashtext(s || d::text)) AS h) x, LATERAL (SELECT 20 + h %% 80 AS n) y")
        columns = ", ".join(COUNTERS)
        rows = conn.execute(
            f"INSERT INTO public.assess_node_day (node, day, {columns}) SELECT s, d::date, {values} "
            f"FROM unnest(%s::text[]) AS s, {series} ON CONFLICT DO NOTHING",
            (nodes, start, end)).rowcount
        rows += conn.execute(
            f"INSERT INTO public.assess_unit_day (tenant_code, unit_id, day, {columns}) "
            f"SELECT %s, s::bigint, d::date, {values} "
            f"FROM unnest(%s::text[]) AS s, {series} ON CONFLICT DO NOTHING",
            (tenant, [str(u) for u in units], start, end)).rowcount
    return rows


def ranking_render_ms(browser: Browser, url: str, username: str, password: str, renders: int) -> list[float]:
    """Open 考核排名 from 工单查询 ``renders`` times; each time from the click to the ranking's rows shown."""
    page = sign_in(browser, url, username, password)
    times = [_render_ms(page) for _ in range(renders)]
    page.context.close()
    return times


def _render_ms(page: Page) -> float:
    page.get_by_role("menuitem", name="工单查询").click()
    page.wait_for_url("**/console/orders")
    page.wait_for_load_state("networkidle")
    page.get_by_role("menuitem", name="监督").hover()
    item = page.get_by_role("menuitem", name="考核排名")
    item.wait_for()
    arm(page, "click", RANKING_ROWS)
    item.click()
    return elapsed_ms(page)


def report_pdf_ms(url: str, token: str, tenant: str, period: str, repeats: int) -> list[float]:
    """``repeats`` downloads of the tenant's 通报 for ``period``; each one's milliseconds."""
    times = []
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(repeats):
            started = time.perf_counter()
            response = http.get(f"{url}/api/v1/tenants/{tenant}/assessment/report.pdf", params={"period": period})
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
                raise RuntimeError(f"the 通报 was not made: {response.status_code} {response.text[:300]}")
    return times


def measure(bench: Settings, url: str, username: str, password: str, tenant: str, renders: int) -> dict[str, object]:
    """Both keys for ``tenant`` (its read model filled first if it counts nothing for the last full month), as
    ``username`` (a supervisor of ``tenant``) sees them."""
    from cli.output import console

    today = datetime.now(CST).date()
    period = last_full_month(today)
    written = fill_read_model(bench.postgres_url, tenant, today)
    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")
        browser = launch(p)
        try:
            renders_ms = ranking_render_ms(browser, url, username, password, renders)
        finally:
            browser.close()
    token = password_grant(bench.issuer, username, password)["access_token"]
    pdf_ms = report_pdf_ms(url, token, tenant, period, max(3, renders // 2))
    result: dict[str, object] = {
        "ranking_render_ms": p95(renders_ms), "ranking_render_p50_ms": round(statistics.median(renders_ms), 1),
        "report_pdf_ms": p95(pdf_ms), "report_pdf_p50_ms": round(statistics.median(pdf_ms), 1),
        "ranking_period": period, "ranking_read_model_rows_written": written}
    console.print(f"ranking of {tenant} for {period}: first render p95 {result['ranking_render_ms']} ms, "
                  f"PDF 通报 p95 {result['report_pdf_ms']} ms")
    return result
