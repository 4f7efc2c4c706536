"""Real Keycloak people for tests: created on first use, tokens by the password grant, cached.

``staff(role, tenant=…, unit=…)`` returns request headers that carry a real access token of a
user with that role in that tenant (and unit). Nothing here mints a token itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from infra.db import sync_engine
from infra.settings import get_settings
from sso.realm import admin_client
from sso.tokens import password_grant
from sso.users import NewUser, create_user

PASSWORD = "Test-12345!"
_tokens: dict[str, tuple[float, str]] = {}
_created: set[str] = set()


def username_for(role: str, tenant: str, unit: int | None) -> str:
    database = get_settings().postgres_url.rsplit("/", 1)[-1]
    return f"{role}-{tenant}-{unit if unit is not None else 'x'}-{database}".lower().replace("_", "-")


def ensure_user(username: str, role: str, tenant: str, unit: int | None, also: tuple[str, ...] = ()) -> None:
    """The user, with ``role`` (and the roles ``also`` names), created on first use."""
    if username in _created:
        return
    settings = get_settings()
    kc = admin_client(settings)
    if not kc.get_users({"username": username, "exact": "true"}):
        engine = sync_engine(settings)
        try:
            create_user(kc, engine, NewUser(username, PASSWORD, tenant, [role, *also], unit))
        finally:
            engine.dispose()
    _created.add(username)


def token(username: str, password: str = PASSWORD) -> str:
    hit = _tokens.get(username)
    if hit and hit[0] > time.time() + 30:
        return hit[1]
    body = password_grant(get_settings().issuer, username, password)
    _tokens[username] = (time.time() + body["expires_in"], body["access_token"])
    return body["access_token"]


class StaffHeaders(Mapping[str, str]):
    """Headers of a person with one role; the user and token are made when a request first needs them."""

    def __init__(self, role: str, tenant: str, unit: int | None) -> None:
        self.role, self.tenant, self.unit = role, tenant, unit

    def _headers(self) -> dict[str, str]:
        name = username_for(self.role, self.tenant, self.unit)
        ensure_user(name, self.role, self.tenant, self.unit)
        return {"Authorization": f"Bearer {token(name)}"}

    def __getitem__(self, key: str) -> str:
        return self._headers()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers())

    def __len__(self) -> int:
        return 1
