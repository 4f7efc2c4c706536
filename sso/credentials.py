"""Keycloak's secrets: the bootstrap admin of the master realm and the API's service account.

    admin   the master realm's administrator: `hotline sso sync`, `hotline users …`, the demo's provisioning. The
            API never signs in with it (in Helm its pods are not even given it).
    api     the secret of the ``hotline-api-users`` client, whose service account holds only the realm-management
            roles managing people needs (sso/realm.py, SERVICE_ROLES); the API manages users with it.

The embedded Keycloak generates both once into ``$HOTLINE_HOME/keycloak/credentials.json`` (mode 0600) and reuses
them on every later start, as the embedded NATS does its passwords (infra/nats_auth.py). For a Keycloak given by URL
they come from settings (``HOTLINE_KEYCLOAK_ADMIN_PASSWORD``, ``HOTLINE_KEYCLOAK_API_CLIENT_SECRET``) or a file of
the same form named by ``HOTLINE_KEYCLOAK_CREDENTIALS_FILE``. There is no default password (an older home's
``admin``/``admin`` is replaced on first use: sso/realm.py, ``_rotate_legacy_admin``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from infra.secret_files import write_once
from infra.settings import Settings


class MissingSecret(RuntimeError):
    """A Keycloak secret is neither in the settings nor in a credentials file; the message says which."""


@dataclass(frozen=True)
class KeycloakCredentials:
    admin_user: str
    admin_password: str = field(repr=False)
    api_client_secret: str = field(repr=False)


def embedded_credentials_file(settings: Settings) -> Path:
    return settings.home / "keycloak" / "credentials.json"


def credentials_file(settings: Settings) -> Path | None:
    """The file named by the settings, else the embedded Keycloak's own (generated on first use); none for a
    Keycloak by URL (its secrets are given, never guessed)."""
    if settings.keycloak_credentials_file is not None:
        return settings.keycloak_credentials_file
    if settings.embedded_keycloak:
        return ensure_credentials(embedded_credentials_file(settings), settings.keycloak_admin)
    return None


def ensure_credentials(path: Path, admin_user: str = "admin") -> Path:
    """``path``, with freshly generated secrets if it does not exist yet: once, never overwritten (Keycloak and the
    running processes hold them). Readable by the owner only."""
    write_once(path, {"admin": {"user": admin_user, "password": secrets.token_urlsafe(32)},
                      "api": {"secret": secrets.token_urlsafe(32)}})
    return path


def _from_file(settings: Settings) -> dict:
    path = credentials_file(settings)
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text())


def admin_credentials(settings: Settings) -> tuple[str, str]:
    """(user, password) of the master realm's bootstrap admin."""
    if settings.keycloak_admin_password is not None:
        return settings.keycloak_admin, settings.keycloak_admin_password.get_secret_value()
    entry = _from_file(settings).get("admin")
    if not entry:
        raise MissingSecret("Keycloak's admin password is not configured: set HOTLINE_KEYCLOAK_ADMIN_PASSWORD "
                            "(or HOTLINE_KEYCLOAK_CREDENTIALS_FILE)")
    return entry.get("user", settings.keycloak_admin), entry["password"]


def api_client_secret(settings: Settings) -> str:
    """The secret of the API's service-account client."""
    if settings.keycloak_api_client_secret is not None:
        return settings.keycloak_api_client_secret.get_secret_value()
    entry = _from_file(settings).get("api")
    if not entry:
        raise MissingSecret("the API's Keycloak client secret is not configured: set "
                            "HOTLINE_KEYCLOAK_API_CLIENT_SECRET (or HOTLINE_KEYCLOAK_CREDENTIALS_FILE)")
    return entry["secret"]
