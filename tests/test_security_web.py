"""The console's session against cross-site requests, sealed session tokens, response headers, and acts on
orders a person may not read — probed as an attacker would, against the real Keycloak and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.factory import create_app
from app.security_headers import SecurityHeaders
from core.orders.lifecycle import Action
from infra.db import sync_engine
from infra.settings import Settings
from sso.session_keys import Sealer
from tests.identity import PASSWORD, ensure_user, username_for
from tests.orders_helpers import ADMIN, CITY, DISPATCHER, act, register, staff

CITIES = (CITY,)
EVIL = "https://evil.example"


@dataclass
class Browser:
    """A person signed in to the console: the cookies a browser would hold."""

    session: str
    csrf_cookie: str
    set_cookies: list[str]
    landed: str = ""  # where the sign-in sent the browser back to

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"hotline_session={self.session}"}


async def sign_in(client: httpx.AsyncClient, role: str, unit: int | None = None, back_to: str | None = None
                  ) -> Browser:
    """The console's sign-in as a browser goes through it: /auth/login (asked to come back to ``back_to``),
    Keycloak's form, /auth/callback."""
    name = username_for(role, CITY, unit)
    ensure_user(name, role, CITY, unit)
    start = await client.get("/auth/login", params={"next": back_to} if back_to is not None else None)
    authorize = start.headers["location"]
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as keycloak:
        page = await keycloak.get(authorize)
        form = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        jar = "; ".join(c.split(";", 1)[0] for c in page.headers.get_list("set-cookie"))
        done = await keycloak.post(urljoin(authorize, form), data={"username": name, "password": PASSWORD},
                                   headers={"Cookie": jar})
        assert done.status_code == 302, done.text[:300]
    callback = await client.get("/auth/callback?" + urlsplit(done.headers["location"]).query,
                                headers={"Cookie": f"hotline_login={start.cookies['hotline_login']}"})
    assert callback.status_code == 302, callback.text
    return Browser(callback.cookies["hotline_session"], callback.cookies.get("hotline_csrf", ""),
                   callback.headers.get_list("set-cookie"), callback.headers["location"])


async def csrf_of(client: httpx.AsyncClient, browser: Browser) -> str:
    me = await client.get("/auth/me", headers=browser.cookie)
    assert me.status_code == 200, me.text
    return me.json().get("csrf_token") or ""  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
async def units(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for code, name in (("housing", "市住房和城乡建设局"), ("water", "市水务局")):
        response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                     json={"code": code, "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        ids[code] = response.json()["id"]
    return ids


@pytest.fixture(scope="module")
async def reviewer(client: httpx.AsyncClient) -> Browser:
    return await sign_in(client, "reviewer")


async def replied_order(client: httpx.AsyncClient, units: dict[str, int]) -> str:
    """An order a unit replied to: waiting for a reviewer's approval."""
    number = (await register(client))["number"]
    handler = staff("handler", unit=units["housing"])
    await act(client, number, "dispatch", DISPATCHER, to=units["housing"])
    await act(client, number, "sign", handler)
    await act(client, number, "reply", handler, content="已修复楼顶防水层")
    return number


async def status_of(client: httpx.AsyncClient, number: str) -> str:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=DISPATCHER)
    return response.json()["status"]  # type: ignore[no-any-return]


def _path(number: str, action: str) -> str:
    return f"/api/v1/tenants/{CITY}/orders/{number}/{action}"


# ---- cross-site requests with the session cookie --------------------------------------------------


@pytest.mark.parametrize("sign", [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}, {}],
                         ids=["other-origin", "cross-site", "opaque-origin", "no-browser-sign"])
async def test_the_session_cookie_alone_cannot_approve_or_close(client: httpx.AsyncClient, units: dict[str, int],
                                                                reviewer: Browser, sign: dict[str, str]) -> None:
    number = await replied_order(client, units)
    form = {**reviewer.cookie, **sign, "Content-Type": "application/x-www-form-urlencoded"}
    for action in ("approve", "close"):
        response = await client.post(_path(number, action), headers=form, content=b"")
        assert response.status_code == 403 and response.json()["error"] == "csrf_failed", response.text
    assert await status_of(client, number) == "replied"


async def test_the_console_with_its_csrf_token_approves_and_closes(client: httpx.AsyncClient, units: dict[str, int],
                                                                   reviewer: Browser, tree: Settings) -> None:
    number = await replied_order(client, units)
    headers = {**reviewer.cookie, "X-CSRF-Token": await csrf_of(client, reviewer),
               "Origin": tree.effective_console_url, "Sec-Fetch-Site": "same-origin"}
    assert (await client.post(_path(number, "approve"), headers=headers, json={})).status_code == 200
    assert (await client.post(_path(number, "close"), headers=headers, json={})).status_code == 200
    assert await status_of(client, number) == "closed"


async def test_the_csrf_token_of_another_session_is_refused(client: httpx.AsyncClient, units: dict[str, int],
                                                            reviewer: Browser) -> None:
    other = await sign_in(client, "reviewer")
    number = await replied_order(client, units)
    response = await client.post(_path(number, "approve"), json={},
                                 headers={**reviewer.cookie, "X-CSRF-Token": await csrf_of(client, other)})
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


async def test_another_origin_is_refused_even_with_the_csrf_token(client: httpx.AsyncClient, units: dict[str, int],
                                                                  reviewer: Browser) -> None:
    number = await replied_order(client, units)
    response = await client.post(_path(number, "approve"), json={}, headers={
        **reviewer.cookie, "X-CSRF-Token": await csrf_of(client, reviewer), "Origin": EVIL})
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


async def test_a_bearer_token_needs_no_csrf_token(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = await replied_order(client, units)
    response = await client.post(_path(number, "approve"), json={}, headers={**staff("reviewer"), "Origin": EVIL})
    assert response.status_code == 200, response.text


async def test_sign_in_gives_the_console_a_readable_csrf_cookie_equal_to_the_token_of_auth_me(
        client: httpx.AsyncClient, reviewer: Browser) -> None:
    csrf_cookie = next(c for c in reviewer.set_cookies if c.startswith("hotline_csrf="))
    assert "httponly" not in csrf_cookie.lower() and "samesite=lax" in csrf_cookie.lower()
    assert reviewer.csrf_cookie == await csrf_of(client, reviewer)
    by_bearer = await client.get("/auth/me", headers=staff("reviewer"))
    assert by_bearer.json()["csrf_token"] is None


# ---- sign-out -----------------------------------------------------------------------------------


async def test_logout_by_get_is_refused(client: httpx.AsyncClient) -> None:
    browser = await sign_in(client, "caller")
    assert (await client.get("/auth/logout", headers=browser.cookie)).status_code == 405
    assert (await client.get("/auth/me", headers=browser.cookie)).status_code == 200


async def test_logout_without_the_csrf_token_keeps_the_session(client: httpx.AsyncClient) -> None:
    browser = await sign_in(client, "caller")
    response = await client.post("/auth/logout", headers={**browser.cookie, "Origin": EVIL})
    assert response.status_code == 403
    response = await client.post("/auth/logout", headers=browser.cookie)
    assert response.status_code == 403
    assert (await client.get("/auth/me", headers=browser.cookie)).status_code == 200


async def test_logout_is_a_form_post_that_sends_the_browser_on_to_keycloak(client: httpx.AsyncClient,
                                                                           tree: Settings) -> None:
    browser = await sign_in(client, "caller")
    response = await client.post("/auth/logout", headers=browser.cookie, data={"csrf_token": browser.csrf_cookie})
    assert response.status_code == 303  # the browser follows with a GET
    location = urlsplit(response.headers["location"])
    assert location.path.endswith("/protocol/openid-connect/logout")
    query = parse_qs(location.query)
    assert query["id_token_hint"] and query["post_logout_redirect_uri"] == [f"{tree.effective_console_url}/"]
    cleared = " ".join(response.headers.get_list("set-cookie"))
    assert 'hotline_session=""' in cleared and 'hotline_csrf=""' in cleared
    assert (await client.get("/auth/me", headers=browser.cookie)).status_code == 401


async def test_logout_by_the_console_script_with_the_header(client: httpx.AsyncClient) -> None:
    browser = await sign_in(client, "caller")
    response = await client.post("/auth/logout", headers={**browser.cookie, "X-CSRF-Token": browser.csrf_cookie})
    assert response.status_code == 303
    assert (await client.get("/auth/me", headers=browser.cookie)).status_code == 401


# ---- session tokens at rest ---------------------------------------------------------------------


def _row(settings: Settings, secret: str) -> dict[str, Any]:
    engine = sync_engine(settings)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM public.web_sessions WHERE id = :id"),
                               {"id": hashlib.sha256(secret.encode()).hexdigest()}).mappings().one()
            return dict(row)
    finally:
        engine.dispose()


async def test_the_database_holds_no_usable_token_of_a_session(client: httpx.AsyncClient, tree: Settings) -> None:
    browser = await sign_in(client, "caller")
    row = _row(tree, browser.session)
    for column in ("access_token", "refresh_token", "id_token"):
        assert row[column] and "eyJ" not in row[column], column  # no JWT (base64 of '{"') in clear
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {row['access_token']}"})
    assert response.status_code == 401


async def test_a_session_row_with_clear_tokens_is_not_honoured(client: httpx.AsyncClient, tree: Settings) -> None:
    """A row as it was stored before tokens were sealed (the migration deletes them; one left is no session)."""
    browser = await sign_in(client, "caller")
    secret = "a-secret-of-a-session-of-before"
    clear = Sealer(browser.session).open("access", _row(tree, browser.session)["access_token"])
    engine = sync_engine(tree)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO public.web_sessions (id, subject, username, access_token, expires_at) "
                              "VALUES (:id, 's', 'u', :a, now() + interval '1 hour')"),
                         {"id": hashlib.sha256(secret.encode()).hexdigest(), "a": clear})
    finally:
        engine.dispose()
    response = await client.get("/auth/me", headers={"Cookie": f"hotline_session={secret}"})
    assert response.status_code == 401


async def test_an_expired_access_token_is_refreshed_from_the_sealed_refresh_token(client: httpx.AsyncClient,
                                                                                  tree: Settings) -> None:
    browser = await sign_in(client, "caller")
    sealer = Sealer(browser.session)
    expired = "e30.eyJleHAiOjF9.x"  # {} . {"exp":1} . not a signature: read for its expiry only
    engine = sync_engine(tree)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE public.web_sessions SET access_token = :a WHERE id = :id"),
                         {"a": sealer.seal("access", expired), "id": sealer.id})
    finally:
        engine.dispose()
    me = await client.get("/auth/me", headers=browser.cookie)
    assert me.status_code == 200, me.text
    refreshed = sealer.open("access", _row(tree, browser.session)["access_token"])
    assert refreshed not in (None, expired)


# ---- response headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/auth/me", f"/api/v1/tenants/{CITY}/orders",
                                  "/no/such/path"])
async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=staff("dispatcher") if path.startswith("/api") else {})
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # the console here is http


async def test_an_api_response_may_load_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/orders", headers=DISPATCHER)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_personal_data_is_kept_by_no_cache(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    base = f"/api/v1/tenants/{CITY}"
    reads = [
        (f"{base}/orders/{order['number']}", DISPATCHER, {}),
        (f"{base}/orders", DISPATCHER, {"q": "漏水"}),
        (f"{base}/orders", DISPATCHER, {"format": "csv"}),
        (f"/api/v1/public/orders/{order['query_code']}", {}, {"phone": "13903920001"}),
        (f"{base}/users", ADMIN, {}),
        ("/auth/me", DISPATCHER, {}),
    ]
    for path, headers, params in reads:
        response = await client.get(path, headers=headers, params=params)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["cache-control"] == "no-store", path


# ---- coming back after signing in: to a page of the console, never anywhere else ---------------------------------


async def test_signing_in_comes_back_to_the_console_page_asked_for(client: httpx.AsyncClient, tree: Settings) -> None:
    page = f"/console/orders/{CITY}-20261201-000001"
    browser = await sign_in(client, "dispatcher", back_to=page)
    assert browser.landed == f"{tree.effective_console_url}{page}"
    listed = await sign_in(client, "dispatcher", back_to="/console/orders?status=closed&q=%E5%99%AA")
    assert listed.landed == f"{tree.effective_console_url}/console/orders?status=closed&q=%E5%99%AA"


@pytest.mark.parametrize("elsewhere", [
    EVIL, "//evil.example/console/", "/\\evil.example", "https:/evil.example", "javascript:alert(1)",
    "/console//evil.example", "/console/../auth/logout", "/console/%2e%2e/%2e%2e/api/v1/tenants", "/console/%2F%2Fevil",
    "/api/v1/tenants/4106/orders", "/consoleevil", "/console/" + "a" * 1200,
], ids=["other-site", "scheme-relative", "backslash", "scheme-one-slash", "javascript", "double-slash", "dot-segment",
        "encoded-dots", "encoded-slashes", "not-the-console", "prefix-only", "too-long"])
async def test_signing_in_never_sends_a_person_off_the_console(client: httpx.AsyncClient, tree: Settings,
                                                                elsewhere: str) -> None:
    browser = await sign_in(client, "dispatcher", back_to=elsewhere)
    assert browser.landed == f"{tree.effective_console_url}/console/"


async def test_a_sign_in_link_carrying_a_header_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/login", params={"next": "/console/\r\nSet-Cookie: x=1"})
    assert response.status_code == 422 and "location" not in response.headers, response.text


async def test_a_failed_sign_in_is_kept_by_no_cache(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/callback", params={"code": "x", "state": "y"})
    assert response.status_code == 400 and response.headers["cache-control"] == "no-store"


def _bare_client(settings: Settings, app: FastAPI | None = None) -> httpx.AsyncClient:
    """A client of an app without its lifespan: enough for answers that touch no service."""
    transport = httpx.ASGITransport(app=app or create_app(settings), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://hotline.test")


async def test_hsts_is_sent_when_the_console_is_served_over_https(tree: Settings) -> None:
    async with _bare_client(tree.model_copy(update={"console_url": "https://12345.example.gov.cn"})) as https:
        response = await https.get("/no/such/path")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_an_unexpected_500_carries_the_security_headers_too(tree: Settings) -> None:
    app = create_app(tree)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    async with _bare_client(tree, app) as bare:
        response = await bare.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"


async def test_an_html_page_of_the_console_may_run_only_its_own_scripts() -> None:
    async def page(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b"<!doctype html><div id=app></div>"})

    app = SecurityHeaders(page, https=False, issuer="https://sso.example.gov.cn/realms/hotline")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as c:
        policy = (await c.get("/")).headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "form-action 'self' https://sso.example.gov.cn" in policy  # sign-out goes on to Keycloak


async def test_the_api_docs_page_may_load_its_viewer(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "https://cdn.jsdelivr.net" in response.headers["content-security-policy"]


# ---- acting on an order one may not read --------------------------------------------------------

ACTION_BODIES: dict[str, dict[str, Any]] = {
    "answer": {"content": "x"}, "redirect": {"to": "110", "reason": "x"}, "decline": {"reason": "x"},
    "dispatch": {"to": 1}, "return": {"reason": "x"}, "extend": {"days": 3, "reason": "x"},
    "approve-extension": {"approved": True}, "reply": {"content": "x"}, "reject": {"reason": "x"},
    "revisit": {"satisfaction": "satisfied"}, "reopen": {"reason": "x"}, "urge": {"reason": "x"},
    "escalate": {"reason": "x"}, "contact": {"note": "x"}, "merge": {"into": f"{CITY}-20260101-1"},
}


def _anonymous(body: Any, number: str) -> Any:
    """The body with the order's number said as N, in its sentence and in its params alike."""
    if isinstance(body, dict):
        return {k: _anonymous(v, number) for k, v in body.items()}
    return body.replace(number, "N") if isinstance(body, str) else body


@pytest.mark.parametrize("action", [a.value for a in Action if a != Action.register])
async def test_a_unit_handler_acting_on_another_units_order_learns_what_a_read_tells(
        client: httpx.AsyncClient, units: dict[str, int], action: str) -> None:
    water = staff("handler", unit=units["water"])
    registered = (await register(client))["number"]
    signed = (await register(client))["number"]
    await act(client, signed, "dispatch", DISPATCHER, to=units["housing"])
    await act(client, signed, "sign", staff("handler", unit=units["housing"]))
    missing = f"{CITY}-20260101-999999999"
    answers = {}
    for number in (registered, signed, missing):
        read = await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=water)
        acted = await client.post(_path(number, action), headers=water, json=ACTION_BODIES.get(action, {}))
        assert (acted.status_code, acted.json()) == (read.status_code, read.json()) == (404, acted.json())
        answers[number] = _anonymous(acted.json(), number)
    assert answers[registered] == answers[signed] == answers[missing]
    assert await status_of(client, signed) == "signed"
