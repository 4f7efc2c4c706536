"""Web console sign-in: the authorization-code flow with PKCE against Keycloak, and the session cookie.

/auth/login     → Keycloak's login page (state and PKCE verifier in a short-lived HttpOnly cookie)
/auth/callback  → code exchanged for tokens (kept server-side), session cookie set
/auth/logout    → session dropped, then Keycloak's end-session endpoint
/auth/me        → who is signed in

The session cookie carries only a random secret; the database keeps its SHA-256 and the
tokens. It is HttpOnly, SameSite=Lax, and Secure when the console is served over https.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.auth import SESSION_COOKIE, CurrentActor
from core.config import Settings
from core.errors import ApiError
from sso.realm import CONSOLE_CLIENT

router = APIRouter(prefix="/auth", tags=["sign-in"])
FLOW_COOKIE = "hotline_login"
SESSION_DAYS = 1


class SessionStore:
    """Web sessions in the shared schema; the access token is refreshed when it runs out."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    @staticmethod
    def _id(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    async def create(self, tokens: dict, subject: str, username: str) -> str:
        secret = secrets.token_urlsafe(32)
        async with self.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO public.web_sessions (id, subject, username, access_token, refresh_token, id_token, "
                "expires_at) VALUES (:id, :s, :u, :a, :r, :i, :e)"), {
                "id": self._id(secret), "s": subject, "u": username, "a": tokens["access_token"],
                "r": tokens.get("refresh_token"), "i": tokens.get("id_token"),
                "e": datetime.now(UTC) + timedelta(days=SESSION_DAYS)})
        return secret

    async def access_token(self, secret: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT access_token, refresh_token FROM public.web_sessions WHERE id = :id AND expires_at > now()"),
                {"id": self._id(secret)})).first()
        if row is None:
            return None
        access, refresh = row
        if _expires_at(access) > time.time() + 10 or not refresh:
            return access
        tokens = await _token_request(self.settings, {"grant_type": "refresh_token", "refresh_token": refresh})
        if tokens is None:
            return None
        async with self.engine.begin() as conn:
            await conn.execute(text(
                "UPDATE public.web_sessions SET access_token = :a, refresh_token = :r WHERE id = :id"),
                {"a": tokens["access_token"], "r": tokens.get("refresh_token", refresh), "id": self._id(secret)})
        return tokens["access_token"]

    async def drop(self, secret: str) -> str | None:
        async with self.engine.begin() as conn:
            return (await conn.execute(text(
                "DELETE FROM public.web_sessions WHERE id = :id RETURNING id_token"), {"id": self._id(secret)})
            ).scalar()


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


@router.get("/login", response_class=RedirectResponse, status_code=302)
async def login(request: Request) -> RedirectResponse:
    """Start signing in: to Keycloak with a PKCE challenge (S256)."""
    settings: Settings = request.app.state.settings
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urlencode({"client_id": CONSOLE_CLIENT, "response_type": "code", "scope": "openid",
                       "redirect_uri": _redirect_uri(settings), "state": state, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/auth?{query}", status_code=302)
    response.set_cookie(FLOW_COOKIE, f"{state}.{verifier}", max_age=600, httponly=True, samesite="lax",
                        secure=_secure(settings), path="/auth")
    return response


@router.get("/callback", response_class=RedirectResponse, status_code=302)
async def callback(request: Request, code: Annotated[str, Query(max_length=4096)],
                   state: Annotated[str, Query(max_length=200)]) -> RedirectResponse:
    """Keycloak sends the browser back here with a code: exchange it, open a session."""
    settings: Settings = request.app.state.settings
    expected_state, _, verifier = request.cookies.get(FLOW_COOKIE, "").partition(".")
    if not expected_state or not secrets.compare_digest(expected_state, state):
        raise ApiError(400, "invalid_state", "the sign-in was not started here, or it expired: sign in again")
    tokens = await _token_request(settings, {"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": _redirect_uri(settings), "code_verifier": verifier})
    if tokens is None:
        raise ApiError(400, "sign_in_failed", "Keycloak refused the code: sign in again")
    claims = request.app.state.tokens.validate(tokens["access_token"])
    secret = await request.app.state.sessions.create(tokens, claims.subject, claims.username)
    response = RedirectResponse(f"{settings.effective_console_url}/", status_code=302)
    response.set_cookie(SESSION_COOKIE, secret, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=_secure(settings), path="/")
    response.delete_cookie(FLOW_COOKIE, path="/auth")
    return response


@router.get("/logout", response_class=RedirectResponse, status_code=302)
async def logout(request: Request) -> RedirectResponse:
    """End the session here and at Keycloak."""
    settings: Settings = request.app.state.settings
    id_token = None
    if SESSION_COOKIE in request.cookies:
        id_token = await request.app.state.sessions.drop(request.cookies[SESSION_COOKIE])
    query = {"client_id": CONSOLE_CLIENT, "post_logout_redirect_uri": f"{settings.effective_console_url}/"}
    if id_token:
        query["id_token_hint"] = id_token
    response = RedirectResponse(f"{settings.issuer}/protocol/openid-connect/logout?{urlencode(query)}",
                                status_code=302)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class Me(BaseModel):
    user: str
    tenant: str
    tenant_path: str
    roles: list[str]
    unit_id: int | None


@router.get("/me", response_model=Me)
async def me(actor: CurrentActor) -> Me:
    """Who is signed in (by bearer token or session cookie)."""
    return Me(user=actor.user, tenant=actor.tenant, tenant_path=actor.home, roles=sorted(actor.roles),
              unit_id=actor.unit_id)
