"""The console bench's browser: Debian's Chromium driven by Python playwright, a person signed in through
Keycloak's own form, and in-page timing from a person's key press or click to what they wait for on screen.

Timing is taken inside the page (the event's own timestamp to the DOM mutation that shows the result), so the
round trips of the driver are not counted.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

VIEWPORT = {"width": 1280, "height": 800}

# window.__bench.arm(event, selector, text, unlike): the next `event` (keydown, click) starts the clock; the first
# DOM state in which `selector` matches an element whose text contains `text` (and not `unlike`) stops it.
TIMER = """
window.__bench = {
  t0: 0, t1: 0,
  arm(event, selector, text, unlike) {
    const b = window.__bench;
    b.t0 = 0; b.t1 = 0;
    const shown = () => [...document.querySelectorAll(selector)].some((el) =>
      (!text || el.textContent.includes(text)) && (!unlike || !el.textContent.includes(unlike)));
    const stop = () => {
      if (b.t0 && !b.t1 && shown()) { b.t1 = performance.now(); observer.disconnect(); }
    };
    const observer = new MutationObserver(stop);
    window.addEventListener(event, (e) => {
      b.t0 = e.timeStamp || performance.now();
      observer.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
      queueMicrotask(stop);
    }, {capture: true, once: true});
  },
};
"""


def launch(p: Any) -> Browser:
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's Chromium is missing: apt-get install -y chromium")
    return p.chromium.launch(executable_path=executable, headless=True)  # type: ignore[no-any-return]


def sign_in(browser: Browser, base: str, username: str, password: str) -> Page:
    """A fresh browser context (cold cache) in which ``username`` signed in through Keycloak's form; the page is
    where the console sends the person first."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)
    context.add_init_script(TIMER)
    page = context.new_page()
    page.goto(f"{base}/console/")
    page.wait_for_selector("#username")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_url(f"{base}/console/**")
    page.wait_for_load_state("networkidle")
    return page


def arm(page: Page, event: str, selector: str, text: str = "", unlike: str = "") -> None:
    page.evaluate("([e, s, t, u]) => window.__bench.arm(e, s, t, u)", [event, selector, text, unlike])


def elapsed_ms(page: Page, timeout: float = 30_000) -> float:
    """Once the armed wait ended: milliseconds from the event to the result on screen."""
    page.wait_for_function("() => window.__bench.t1 > 0", timeout=timeout)
    return float(page.evaluate("() => window.__bench.t1 - window.__bench.t0"))


def js_loaded(page: Page, dist: Path) -> dict[str, float]:
    """The console's JS the page fetched (Resource Timing): the bodies as they came (encodedBodySize) when the server
    sends gzip, else each file's gzip size (level 6, as a server would send it) from the build."""
    entries = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => new URL(e.name).pathname.startsWith('/console/assets/') && e.name.endsWith('.js'))
        .map((e) => ({name: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize}))""")
    encoded = decoded = gzipped = 0.0
    # Served compressed when any file came gzipped (the smallest are not worth packing and come as they are).
    compressed = any(e["encoded"] < e["decoded"] for e in entries)
    for e in entries:
        encoded += e["encoded"]
        decoded += e["decoded"]
        body = (dist / e["name"].removeprefix("/console/")).read_bytes()
        gzipped += len(gzip.compress(body, compresslevel=6))
    return {"files": len(entries), "encoded_kb": encoded / 1024, "decoded_kb": decoded / 1024,
            "gzip_kb": (encoded if compressed else gzipped) / 1024, "gzip_build_kb": gzipped / 1024,
            "served_compressed": compressed}
