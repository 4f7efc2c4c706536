"""Web console sign-in: the authorization-code flow with PKCE against Keycloak, and the session cookie.

/auth/login        → Keycloak's login page (state, PKCE verifier and the console page to come back to, ``next``,
                     in a short-lived HttpOnly cookie)
/auth/callback     → code exchanged for tokens (kept server-side, sealed), session and CSRF cookies set; back to
                     that console page (only ever a page of this console: ``console_page``)
POST /auth/logout  → session dropped, then (303) Keycloak's end-session endpoint
/auth/me           → who is signed in (with the names of the person, their level and unit), and the CSRF token

The session cookie carries only a random secret; the database keeps its SHA-256 and the tokens sealed
with a key derived from it (``sso.session_keys``). It is HttpOnly, SameSite=Lax, and Secure when the
console is served over https. A change signed in by it needs the CSRF token (``sso.access.refuse_cross_site``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import parse_qs, urlencode

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from iam.actors import Role
from infra.error_codes import ErrorCode
from infra.errors import ApiError
from infra.settings import Settings
from sso.access import SESSION_COOKIE, CurrentActor, refuse_cross_site
from sso.realm import CONSOLE_CLIENT
from sso.session_keys import Sealer, csrf_token

router = APIRouter(prefix="/auth", tags=["sign-in"])
FLOW_COOKIE = "hotline_login"
CSRF_COOKIE = "hotline_csrf"  # readable by the console's script (not HttpOnly): the CSRF token
SESSION_DAYS = 1


class SessionStore:
    """Web sessions in the shared schema, tokens sealed; the access token is refreshed when it runs out."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    async def create(self, tokens: dict, subject: str, username: str) -> str:
        secret = secrets.token_urlsafe(32)
        sealer = Sealer(secret)
        async with self.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO public.web_sessions (id, subject, username, access_token, refresh_token, id_token, "
                "expires_at) VALUES (:id, :s, :u, :a, :r, :i, :e)"), {
                "id": sealer.id, "s": subject, "u": username, "a": sealer.seal("access", tokens["access_token"]),
                "r": sealer.seal("refresh", tokens.get("refresh_token")),
                "i": sealer.seal("id", tokens.get("id_token")),
                "e": datetime.now(UTC) + timedelta(days=SESSION_DAYS)})
        return secret

    async def access_token(self, secret: str) -> str | None:
        sealer = Sealer(secret)
        async with self.engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT access_token, refresh_token FROM public.web_sessions WHERE id = :id AND expires_at > now()"),
                {"id": sealer.id})).first()
        if row is None:
            return None
        access, refresh = sealer.open("access", row[0]), sealer.open("refresh", row[1])
        if access is None:  # sealed with another key: not this session's
            return None
        if _expires_at(access) > time.time() + 10 or not refresh:
            return access
        tokens = await _token_request(self.settings, {"grant_type": "refresh_token", "refresh_token": refresh})
        if tokens is None:
            return None
        async with self.engine.begin() as conn:
            await conn.execute(text(
                "UPDATE public.web_sessions SET access_token = :a, refresh_token = :r WHERE id = :id"),
                {"a": sealer.seal("access", tokens["access_token"]),
                 "r": sealer.seal("refresh", tokens.get("refresh_token", refresh)), "id": sealer.id})
        return tokens["access_token"]

    async def drop(self, secret: str) -> str | None:
        """End the session; its id token (for Keycloak's end-session hint), if it had one."""
        sealer = Sealer(secret)
        async with self.engine.begin() as conn:
            stored = (await conn.execute(text(
                "DELETE FROM public.web_sessions WHERE id = :id RETURNING id_token"), {"id": sealer.id})).scalar()
        return sealer.open("id", stored)


def _expires_at(token: str) -> float:
    try:
        payload = token.split(".")[1]
        return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])
    except (IndexError, ValueError, KeyError):
        return 0.0


async def _token_request(settings: Settings, form: dict[str, str]) -> dict | None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{settings.issuer}/protocol/openid-connect/token",
                                     data={"client_id": CONSOLE_CLIENT, **form})
    return response.json() if response.status_code == 200 else None


def _redirect_uri(settings: Settings) -> str:
    return f"{settings.effective_console_url}/auth/callback"


def _secure(settings: Settings) -> bool:
    return settings.effective_console_url.startswith("https://")


CONSOLE_HOME = "/console/"
NEXT_MAX = 1000
# A page of the console, as the browser's address bar has it (path and query, percent-encoded): nothing that could
# leave the console once a browser resolves it — no scheme, no host (``//evil``), no backslash, no dot segment
# (``/console/../``, also percent-encoded), no encoded slash, no control character or space.
_CONSOLE_PAGE = re.compile(r"/console(/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?")
_ESCAPES = re.compile(r"//|/\.\.?(/|$|\?)|%2e|%2f|%5c|%00", re.IGNORECASE)


def console_page(wanted: str | None) -> str | None:
    """``wanted`` if it is a page of this console (same origin, under /console/) to come back to after signing in;
    None for anything else — another site, another part of this one, a path that resolves elsewhere — so a
    crafted sign-in link can never send a person away from the console (no open redirect)."""
    if not wanted or len(wanted) > NEXT_MAX or not _CONSOLE_PAGE.fullmatch(wanted):
        return None
    path = wanted.split("?", 1)[0]
    return None if _ESCAPES.search(path) else wanted


def _flow_cookie(state: str, verifier: str, back_to: str | None) -> str:
    value = f"{state}.{verifier}"
    return f"{value}.{base64.urlsafe_b64encode(back_to.encode()).decode()}" if back_to else value


def _from_flow_cookie(value: str) -> tuple[str, str, str | None]:
    """(state, verifier, the console page to return to): state and verifier are URL-safe base64, without dots."""
    state, _, rest = value.partition(".")
    verifier, _, encoded = rest.partition(".")
    back_to = None
    if encoded:
        try:
            back_to = console_page(base64.urlsafe_b64decode(encoded.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            back_to = None
    return state, verifier, back_to


@router.get("/login", response_class=RedirectResponse, status_code=302)
async def login(request: Request, next: Annotated[str | None, Query(
        max_length=2048, description="the console page to come back to once signed in (a path under /console/ "
                                     "of this site; anything else is ignored: home)")] = None) -> RedirectResponse:
    """Start signing in: to Keycloak with a PKCE challenge (S256); back to ``next`` (or the console's home) after."""
    settings: Settings = request.app.state.settings
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urlencode({"client_id": CONSOLE_CLIENT, "response_type": "code", "scope": "openid",
                       "redirect_uri": _redirect_uri(settings), "state": state, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/auth?{query}", status_code=302)
    response.set_cookie(FLOW_COOKIE, _flow_cookie(state, verifier, console_page(next)), max_age=600, httponly=True,
                        samesite="lax", secure=_secure(settings), path="/auth")
    return response


@router.get("/callback", response_class=RedirectResponse, status_code=302)
async def callback(request: Request, code: Annotated[str, Query(max_length=4096)],
                   state: Annotated[str, Query(max_length=200)]) -> RedirectResponse:
    """Keycloak sends the browser back here with a code: exchange it, open a session."""
    settings: Settings = request.app.state.settings
    expected_state, verifier, back_to = _from_flow_cookie(request.cookies.get(FLOW_COOKIE, ""))
    if not expected_state or not secrets.compare_digest(expected_state, state):
        raise ApiError(400, ErrorCode.invalid_state, "the sign-in was not started here, or it expired: sign in again")
    tokens = await _token_request(settings, {"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": _redirect_uri(settings), "code_verifier": verifier})
    if tokens is None:
        raise ApiError(400, ErrorCode.sign_in_failed, "Keycloak refused the code: sign in again")
    claims = request.app.state.tokens.validate(tokens["access_token"])
    secret = await request.app.state.sessions.create(tokens, claims.subject, claims.username)
    response = RedirectResponse(f"{settings.effective_console_url}{back_to or CONSOLE_HOME}", status_code=302)
    response.set_cookie(SESSION_COOKIE, secret, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=_secure(settings), path="/")
    response.set_cookie(CSRF_COOKIE, csrf_token(secret), max_age=SESSION_DAYS * 86400, httponly=False,
                        samesite="lax", secure=_secure(settings), path="/")
    response.delete_cookie(FLOW_COOKIE, path="/auth")
    return response


async def _form_field(request: Request, name: str) -> str | None:
    """One field of a small urlencoded form (a browser's POST from a page of the console)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = await request.body()
    if len(body) > 4096:
        return None
    values = parse_qs(body.decode("latin-1"), max_num_fields=10).get(name)
    return values[0] if values else None


@router.post("/logout", response_class=RedirectResponse, status_code=303,
             responses={403: {"description": "signed in by the session cookie, without its CSRF token"}})
async def logout(request: Request) -> RedirectResponse:
    """End the session here, then (303, so the browser follows with a GET) at Keycloak. Signed in by the
    cookie, it needs the CSRF token: the ``X-CSRF-Token`` header or a ``csrf_token`` form field."""
    settings: Settings = request.app.state.settings
    id_token = None
    if SESSION_COOKIE in request.cookies:
        secret = request.cookies[SESSION_COOKIE]
        refuse_cross_site(request, secret, await _form_field(request, "csrf_token"))
        id_token = await request.app.state.sessions.drop(secret)
    query = {"client_id": CONSOLE_CLIENT, "post_logout_redirect_uri": f"{settings.effective_console_url}/"}
    if id_token:
        query["id_token_hint"] = id_token
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/logout?{urlencode(query)}",
                                status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


class Me(BaseModel):
    user: str
    name: str = Field(description="the person's name as people call them (the token's given_name; the username "
                      "when the account has none)")
    tenant: str
    tenant_name: str | None = Field(None, description="the name of the person's level (郑州市)")
    tenant_level: str | None = Field(None, description="province, city, district or town")
    tenant_path: str
    roles: list[Role]
    unit_id: int | None
    unit_name: str | None = Field(None, description="the name of the person's unit, if they work in one")
    csrf_token: str | None = Field(None, description="signed in by the session cookie: the X-CSRF-Token to send "
                                   "with every POST, PUT, PATCH and DELETE; null for a bearer token")


@router.get("/me", response_model=Me)
async def me(request: Request, actor: CurrentActor) -> Me:
    """Who is signed in (by bearer token or session cookie)."""
    secret = getattr(request.state, "session_secret", None)
    tenant = await request.app.state.registry.get(request.app.state.db, actor.tenant)
    unit_name = None
    if tenant is not None and actor.unit_id is not None:
        async with request.app.state.db.engine.connect() as conn:
            # The schema's name is the registry's, never the token's.
            unit_name = (await conn.execute(text(f'SELECT name FROM "{tenant.schema_name}".units WHERE id = :id'),
                                            {"id": actor.unit_id})).scalar()
    return Me(user=actor.user, name=actor.name or actor.user, tenant=actor.tenant,
              tenant_name=tenant.name if tenant is not None else None,
              tenant_level=tenant.level if tenant is not None else None, tenant_path=actor.home,
              roles=sorted(actor.roles), unit_id=actor.unit_id, unit_name=unit_name,
              csrf_token=csrf_token(secret) if secret else None)
