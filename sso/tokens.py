"""Validating Keycloak access tokens locally, against the realm's keys.

- Keys (JWKS) are fetched once and held; an unknown key id triggers one refresh (at most
  every REFRESH_MIN_S), so Keycloak being down does not stop validation with known keys.
- Only RS256/RS384/RS512/PS256 are accepted: ``alg: none`` and HS256 signed with the public key
  fail before any key is used. Issuer, audience, expiry and not-before are always checked,
  with a small leeway (python-keycloak's default of 60 s accepted a token expired 30 s ago).
- A verified token is remembered by its SHA-256 until it expires: verifying RS256 costs
  ~0.3 ms, a dictionary lookup a microsecond.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256"]
LEEWAY_S = 5
REFRESH_MIN_S = 10.0
CACHE_MAX = 50_000


class InvalidToken(Exception):
    """The token is not one this API accepts; the message says why (safe to show)."""


@dataclass(frozen=True)
class Claims:
    subject: str
    username: str
    roles: frozenset[str]
    tenant_path: str | None
    unit: int | None
    expires_at: float
    raw: dict[str, Any]


class TokenValidator:
    def __init__(self, issuer: str, audience: str, jwks_url: str | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.jwks_url = jwks_url or f"{self.issuer}/protocol/openid-connect/certs"
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._cache: dict[bytes, Claims] = {}

    def validate(self, token: str) -> Claims:
        """The token's claims, or InvalidToken."""
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(digest)
        now = time.time()
        if cached is not None:
            if cached.expires_at + LEEWAY_S > now:
                return cached
            del self._cache[digest]
        claims = self._verify(token)
        if len(self._cache) >= CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if v.expires_at > now}
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[digest] = claims
        return claims

    def _verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"algorithm {alg!r} is not accepted")
        key = self._key(header.get("kid"))
        try:
            payload = jwt.decode(
                token, key.key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                leeway=LEEWAY_S, options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token comes from another issuer") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        roles = frozenset(payload.get("realm_access", {}).get("roles", []))
        unit = payload.get("unit")
        return Claims(
            subject=payload["sub"], username=payload.get("preferred_username", payload["sub"]), roles=roles,
            tenant_path=payload.get("tenant_path"), unit=int(unit) if unit not in (None, "") else None,
            expires_at=float(payload["exp"]), raw=payload,
        )

    def _key(self, kid: str | None) -> PyJWK:
        if kid in self._keys:
            return self._keys[kid]
        if time.monotonic() - self._fetched_at > REFRESH_MIN_S or not self._keys:
            self._refresh()
        if kid not in self._keys:
            raise InvalidToken("the token is signed with an unknown key")
        return self._keys[kid]

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            response = httpx.get(self.jwks_url, timeout=5)
            response.raise_for_status()
            keys = response.json()["keys"]
        except (httpx.HTTPError, KeyError, ValueError):
            return  # keep the keys we have: Keycloak may be down for a while
        fresh = {}
        for item in keys:
            if item.get("use", "sig") == "sig" and item.get("kid") and item.get("alg", "RS256") in ALGORITHMS:
                try:
                    fresh[item["kid"]] = PyJWK(item)
                except jwt.PyJWTError:
                    continue
        if fresh:
            self._keys = fresh


def password_grant(issuer: str, username: str, password: str, client_id: str = "hotline-cli") -> dict[str, Any]:
    """Tokens for a person by the password grant of the scripts' client (CLI, tests, benchmarks)."""
    response = httpx.post(f"{issuer}/protocol/openid-connect/token", timeout=10, data={
        "client_id": client_id, "grant_type": "password", "username": username, "password": password})
    response.raise_for_status()
    return response.json()
