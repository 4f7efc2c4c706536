"""Steps a person takes in the console, by its data-test hooks (each view lists its hooks at the top of its
<script setup>): open a row, take an action through its dialog, pick an option of an Element Plus select.

Hooks the browser tests rely on (each view lists its own at the top of its <script setup>):
- seat: phone, caller-history, title, content, address, citizen-name, order-number (the category and division
  cascaders by their accessible names 诉求分类 and 所属区域; F2 and Alt+S);
- dispatch desk: row-<number>, to-<number>, pick-<number>, dispatch-selected, result-<number>;
- inbox: row-<number>, count-to_sign; its drawer's OrderActions: action-<name>, action-dialog, action-confirm,
  action-error, field-to, field-content, field-file, attachment-list;
- review desk: row-<number>, attachments, approve, close, decision-error;
- revisit desk: row-<number>, satisfaction-satisfied, save-revisit;
- order page: timeline; citizen pages: see test_citizen.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

STEP_MS = 15_000  # a step of the platform through the browser, the worker included: generous, never a measure


def row(page: Page, number: str, timeout: float = STEP_MS) -> Locator:
    locator = page.get_by_test_id(f"row-{number}")
    expect(locator).to_be_visible(timeout=timeout)
    return locator


def open_row(page: Page, number: str) -> None:
    """Click the order's row: its actions show beside the list (the drawer) or on the page."""
    row(page, number).click()
    expect(page.get_by_test_id("action-dialog").or_(page.locator("[data-test^=action-]")).first).to_be_visible(
        timeout=STEP_MS)


def choose(page: Page, select: Locator, label: str) -> None:
    """Pick the option of an Element Plus select whose text begins with ``label`` (typed to filter, then chosen)."""
    select.click()
    page.keyboard.type(label)
    page.locator(".el-select-dropdown__item:visible").filter(has_text=re.compile(f"^{re.escape(label)}")).first.click()


def act(page: Page, action: str, fill: Callable[[Locator], None] | None = None) -> None:
    """Take ``action`` through its button and dialog; the dialog closes when the platform took it."""
    page.get_by_test_id(f"action-{action}").first.click()
    dialog = page.get_by_test_id("action-dialog").last
    expect(dialog).to_be_visible()
    if fill:
        fill(dialog)
    dialog.get_by_test_id("action-confirm").click()
    error = dialog.get_by_test_id("action-error")
    deadline = time.monotonic() + STEP_MS / 1000
    while dialog.is_visible():
        assert not error.is_visible(), f"{action}: {error.inner_text()}"
        assert time.monotonic() < deadline, f"{action}: the dialog stayed open"
        page.wait_for_timeout(100)


def dispatch_fill(page: Page, label: str) -> Callable[[Locator], None]:
    return lambda dialog: choose(page, dialog.get_by_test_id("field-to"), label)


def reply_fill(content: str, photo: Path) -> Callable[[Locator], None]:
    def fill(dialog: Locator) -> None:
        dialog.get_by_test_id("field-content").fill(content)
        dialog.get_by_test_id("field-file").set_input_files(str(photo))
        expect(dialog.get_by_test_id("attachment-list")).to_contain_text(photo.name, timeout=STEP_MS)
    return fill


def record_of(api: httpx.Client, tenant: str, root: str, timeout: float = 30, **wanted: object) -> dict[str, object]:
    """``tenant``'s record of the request ``root`` (bookkeeping by the API, never a step), once it is as wanted."""
    deadline = time.monotonic() + timeout
    while True:
        items = api.get(f"/tenants/{tenant}/orders", params={"number": root}).json().get("items") or []
        if items:
            detail: dict[str, object] = api.get(f"/tenants/{tenant}/orders/{items[0]['number']}").json()
            if all(detail.get(k) == v for k, v in wanted.items()):
                return detail
        assert time.monotonic() < deadline, f"{tenant}'s record of {root} is not as wanted: {wanted}"
        time.sleep(0.3)
