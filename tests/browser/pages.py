"""What the browser tests do with a page: sign in through Keycloak's own form, check accessibility with axe-core,
take the screenshots the docs keep, and make a small photo to upload."""

from __future__ import annotations

import functools
import json
import os
import struct
import subprocess
import tempfile
import warnings
import zlib
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.stack import CONSOLE, PASSWORD, REPO

AXE = CONSOLE / "node_modules" / "axe-core" / "axe.min.js"
# The release the console pins (package.json, exact; the lockfile installs it): the one every screen is checked with.
AXE_PINNED = json.loads((CONSOLE / "package.json").read_text(encoding="utf-8"))["devDependencies"]["axe-core"]
SHOTS = REPO / "docs" / "console"
VIEWPORT = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
# axe's impacts that fail a screen (minor and moderate ones are reported by axe, not failed here).
FAILING = ("serious", "critical")


def sign_in(browser: Browser, base: str, username: str, path: str = "/console/", password: str = PASSWORD) -> Page:
    """A new browser (context) in which ``username`` signed in through Keycloak's login page; at ``path``."""
    # The console's real CSP stays on: axe is evaluated through the DevTools protocol, which CSP does not govern.
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.wait_for_selector("#username")  # Keycloak's own form
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_url(f"{base}/console/**")
    # Signing in comes back to the page asked for (a deep link: /auth/login?next=…), home ("/console/") to the
    # person's first screen.
    if path != "/console/":
        page.wait_for_url(lambda url: url.startswith(f"{base}{path}"))  # a screen may add to it (/inbox → /inbox/…)
    page.wait_for_load_state("networkidle")
    return page


def axe_violations(page: Page) -> list[str]:
    """The violations of impact serious or critical on the page as it is now (axe-core from console/node_modules,
    the release package.json pins),
    each readable: impact, rule, help, and up to five elements with what to fix."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
        running = page.evaluate("() => window.axe.version")
        assert running == AXE_PINNED, f"axe-core {running} ran, the console pins {AXE_PINNED}: npm ci in console/"
    result = page.evaluate("""async () => {
        const r = await window.axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '')
                .replace(/\\s+/g, ' ').slice(0, 200))}));
    }""")
    return [f"[{v['impact']}] {v['id']}: {v['help']}\n      " + "\n      ".join(v["nodes"])
            for v in result if v["impact"] in FAILING]


def axe_check(page: Page, what: str = "") -> None:
    """No violation of impact serious or critical on the page as it is now."""
    bad = axe_violations(page)
    assert not bad, f"axe on {what or page.url}:\n- " + "\n- ".join(bad)


@functools.cache
def shots_dir() -> Path:
    """Where the screenshots go: a temporary directory, so a test run leaves the checkout as it was; docs/console
    when ``HOTLINE_CONSOLE_SHOTS=docs`` (refreshing the documentation's pictures) and Chinese can be drawn here
    (a CJK font: Debian's fonts-wqy-microhei, which `make test` installs), so boxes never replace them."""
    if os.environ.get("HOTLINE_CONSOLE_SHOTS") == "docs":
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
        if fonts.stdout.strip():
            return SHOTS
        warnings.warn("no CJK font (apt-get install fonts-wqy-microhei): screenshots left out of docs/console",
                      stacklevel=2)
    return Path(tempfile.mkdtemp(prefix="console-shots-"))


def shot(page: Page, name: str) -> Path:
    """<shots_dir>/<name>.png: the screen as it is now (the viewport only, kept small: docs/console's are committed)."""
    shots_dir().mkdir(parents=True, exist_ok=True)
    target = shots_dir() / f"{name}.png"
    page.screenshot(path=str(target), animations="disabled", caret="initial", scale="css")
    return target


class Screens:
    """The screens a test went through: each photographed, its axe violations kept; ``assert_accessible`` at the
    end fails with all of them, so one screen's violations do not hide the next screen's steps."""

    def __init__(self) -> None:
        self.violations: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        shot(page, name)
        found = axe_violations(page)
        if found:
            self.violations[name] = found

    def assert_accessible(self) -> None:
        assert not self.violations, "axe (serious or critical):\n" + "\n".join(
            f"{name}:\n  - " + "\n  - ".join(found) for name, found in self.violations.items())


def png(width: int = 64, height: int = 48) -> bytes:
    """A small, real PNG (a gradient): what a handler's phone would upload, minus the size."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 160)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def expect_text(page: Page, hook: str, timeout: float = 5_000) -> str:
    """The text of the element with data-test=``hook`` once it is visible."""
    locator = page.get_by_test_id(hook)
    expect(locator).to_be_visible(timeout=timeout)
    return locator.inner_text().strip()
