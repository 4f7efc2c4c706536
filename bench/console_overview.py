"""The overview (总览) in the console bench: the assessment bench's month loaded over the whole province, then the
province supervisor's overview timed in Chromium.

- The month: every tenant of the province (2,786 for Henan; ``--month-under 4101`` for one city's subtree, a
  smaller run of the same path) registered and provisioned beside the console bench's own; ``orders`` orders of
  October 2026 with their event logs spread over them (``bench.assessment``'s load, the same SQL); the read model
  rebuilt from those logs (``hotline assessment rebuild``).
- ``overview_render_ms``: from the navigation to the province's overview (a fresh page load, the console's files
  cached as a person's second visit has them) to its numbers, its cities' tiles and its trend chart drawn.
- ``drilldown_ms``: from the click on a child's tile (province → city → district → town) to that child's numbers
  shown; back up by the breadcrumb between rounds (not timed).
- ``map_render_ms``: from the navigation to the province's hot-spot screen (热点, the same month) to its map drawn
  with every district and county of the province and the areas' table filled.
Each p95, beside the API's own p95 for the same reads (``*_api_p95_ms``).
"""

from __future__ import annotations

import asyncio
import calendar
import statistics
import time
from collections.abc import Callable

import httpx
from playwright.sync_api import Browser, Page

from bench.assessment import MONTH, _fill
from bench.console_browser import arm, elapsed_ms, sign_in
from core.assessment.rebuild import rebuild
from infra.settings import Settings
from sso.tokens import password_grant
from tenants.divisions import read_province
from tenants.service import import_divisions

PROVINCE = "41"
MONTH_END = f"{MONTH}-{calendar.monthrange(*map(int, MONTH.split('-')))[1]}"
PATH = [("4101", "郑州市"), ("410102", "中原区"), ("410102001", "林山寨街道")]  # the drill, down from the province
# Set before the console's scripts run: the moment a freshly loaded overview is drawn (its headline tiles, its
# children's tiles and its trend chart: none of them shows before its numbers came).
RENDERED = """
window.__overview = 0;
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-test=tile-open]') && document.querySelector('[data-test^=child-]')
      && document.querySelector('[data-test=trend-chart] svg path')) {
    window.__overview = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
# The same for the hot-spot screen: its map drawn (the areas are paths of the chart's SVG) and the areas' table filled.
MAP_DRAWN = """
window.__map = 0;
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-test=hotspot-map] svg path') && document.querySelector('[data-test^=area-row-]')) {
    window.__map = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20, method="inclusive")[18], 1) if len(values) > 1 else values[0]


def load_month(bench: Settings, engine: object, orders: int, log: Callable[[str], object] = print,
               under: str = PROVINCE) -> dict[str, object]:
    """The assessment bench's month over every tenant of the province (or of the subtree ``under``, with the levels
    above it: a smaller run of the same path), and the read model rebuilt from it."""
    divisions = [d for d in read_province(bench.divisions_dir, PROVINCE)
                 if d.code.startswith(under) or under.startswith(d.code)]
    started = time.perf_counter()
    log(f"provisioning {len(divisions):,} tenants for the overview …")
    import_divisions(bench, engine, divisions)  # type: ignore[arg-type]
    codes = [d.code for d in divisions]
    log(f"loading the month: {orders:,} orders with their event logs over the province …")
    loaded = _fill(bench.postgres_url, max(1, orders // len(codes)), codes)
    report = asyncio.run(rebuild(bench.postgres_url))
    log(f"read model rebuilt from {report.events:,} events in {report.seconds:.1f} s")
    return {"month_orders": loaded, "month_tenants": len(codes), "month_rebuild_s": report.seconds,
            "month_load_s": round(time.perf_counter() - started, 1)}


def measure(browser: Browser, url: str, username: str, password: str, renders: int, drills: int) -> dict[str, object]:
    """The province supervisor's overview: first renders, then drill clicks, timed in the page."""
    page = sign_in(browser, url, username, password)
    page.context.add_init_script(RENDERED)
    first = f"{url}/console/overview?period={MONTH}"
    page.goto(first)  # the console's files into the cache, as a person's second visit finds them
    page.wait_for_selector("[data-test=trend-chart] svg path", state="attached")
    render = [_render_ms(page, first) for _ in range(renders)]
    drill: list[float] = []
    while len(drill) < drills:
        for code, name in PATH:
            drill.append(_drill_ms(page, code, name))
        page.get_by_test_id(f"crumb-{PROVINCE}").click()
        page.wait_for_selector("[data-test=child-4101]")
    children = page.locator("[data-test^=child-][href]").count()
    page.context.add_init_script(MAP_DRAWN)
    hotspots = f"{url}/console/hotspots?from={MONTH}-01&to={MONTH_END}"
    page.goto(hotspots)
    page.wait_for_selector("[data-test=hotspot-map] svg path", state="attached")
    maps = [_map_ms(page, hotspots) for _ in range(renders)]
    return {"overview_render_ms": p95(render), "overview_render_p50_ms": round(statistics.median(render), 1),
            "drilldown_ms": p95(drill), "drilldown_p50_ms": round(statistics.median(drill), 1),
            "overview_children": children, "map_render_ms": p95(maps),
            "map_render_p50_ms": round(statistics.median(maps), 1),
            "map_areas": page.locator("[data-test^=area-row-]").count()}


def _render_ms(page: Page, address: str) -> float:
    """From the navigation's start to the province's overview drawn."""
    page.goto("about:blank")
    page.goto(address)
    page.wait_for_function("() => window.__overview > 0", timeout=30_000)
    return float(page.evaluate("() => window.__overview"))


def _map_ms(page: Page, address: str) -> float:
    """From the navigation's start to the province's hot-spot map drawn and its areas listed."""
    page.goto("about:blank")
    page.goto(address)
    page.wait_for_function("() => window.__map > 0", timeout=30_000)
    return float(page.evaluate("() => window.__map"))


def _drill_ms(page: Page, code: str, name: str) -> float:
    """From the click on the child's tile to its own numbers shown (the title names it, its tiles are its own)."""
    arm(page, "click", "[data-test=overview-title]", name)
    page.get_by_test_id(f"child-{code}").click()
    return elapsed_ms(page)


def api_p95(bench: Settings, url: str, username: str, password: str, repeats: int) -> dict[str, object]:
    """The same reads from a plain HTTP client: the API's share of a render and of a drill."""
    token = password_grant(bench.issuer, username, password)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{url}/api/v1/tenants", headers=headers, timeout=30) as http:
        def timed(path: str, **params: object) -> float:
            t0 = time.perf_counter()
            response = http.get(path, params=params)  # type: ignore[arg-type]
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
            return (time.perf_counter() - t0) * 1000

        overview = [timed(f"/{PROVINCE}/overview", period=MONTH) for _ in range(repeats)]
        trend = [timed(f"/{PROVINCE}/overview/trend", to="2026-10-31") for _ in range(repeats)]
        child = [timed(f"/{code}/overview", period=MONTH) for _ in range(max(1, repeats // len(PATH)))
                 for code, _ in PATH]
        hotspots = [timed(f"/{PROVINCE}/hotspots", **{"from": f"{MONTH}-01", "to": MONTH_END})
                    for _ in range(repeats)]
        boundaries = [timed(f"/{PROVINCE}/map") for _ in range(repeats)]
    return {"overview_api_p95_ms": p95(overview), "overview_trend_api_p95_ms": p95(trend),
            "drilldown_api_p95_ms": p95(child), "hotspots_api_p95_ms": p95(hotspots),
            "map_api_p95_ms": p95(boundaries)}
