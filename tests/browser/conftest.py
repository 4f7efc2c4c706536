"""The browser tests' session: the console built once, the platform running as a browser reaches it (the API as a
uvicorn process, a worker, Keycloak's console client pointing at it), and Debian's Chromium driven by Python
playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sso.realm import sync_realm
from tests.browser.pages import MOBILE, sign_in
from tests.browser.stack import Stack, build_console, create_database, create_people, create_tree, start_stack
from tests.services import ServiceSet


@pytest.fixture(scope="session")
def console_dist() -> Path:
    return build_console()


# Package scope, not session: the stack serves on the session's API port and sync playwright runs its own event
# loop; both must be gone before the rest of the suite (async tests, their own API processes) runs.
@pytest.fixture(scope="package")
def stack(services: ServiceSet, keycloak: str, console_dist: Path) -> Iterator[Stack]:
    """郑州 → 中原区 → 林山寨街道 with their units and people, in a database of the browser tests' own, served at
    the session's API port: Keycloak's console client keeps the redirect URI the other modules expect."""
    suffix = uuid.uuid4().hex[:6]
    settings = create_database(services.admin_url, services.settings, f"browser_{suffix}")
    units = create_tree(settings)
    usernames = create_people(settings, units, suffix)
    settings, processes = start_stack(settings, port=services.settings.api_port)
    running = Stack(settings, settings.effective_console_url, usernames, units, processes)
    yield running
    running.stop()
    sync_realm(services.settings)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium (never `playwright install`)")
    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")  # the console's hooks (brief: data-test="…")
        launched = p.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def person(browser: Browser, stack: Stack) -> Iterator[Callable[..., Page]]:
    """``person("zz-operator", "/console/seat")``: a page of that person, signed in through Keycloak's form."""
    pages: list[Page] = []

    def open_as(who: str, path: str = "/console/") -> Page:
        page = sign_in(browser, stack.url, stack.username(who), path, stack.password)
        pages.append(page)
        return page

    yield open_as
    for page in pages:
        page.context.close()


@pytest.fixture
def mobile(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A citizen's phone (390×844, touch), not signed in."""
    context = browser.new_context(viewport=MOBILE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
