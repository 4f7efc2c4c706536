"""Who the platform is on NATS: three identities, each a user with a password, and where their passwords live.

    api     the API process: it only pings the server for /readyz, so it may publish and subscribe nothing
    worker  ``hotline worker``: its deployment's subjects and the JetStream API of its own streams and consumers
    admin   everything, deleting and purging streams included: the bench's clean-up and the tests; no process of
            the platform runs as it

Without them, anyone who reaches the port reads every dispatch (citizens' names and phones) and can forge or
delete messages (PITFALLS.md, "Security defaults"). What each may do is in ``federation/permissions.py``.

The embedded NATS generates the passwords once into ``$HOTLINE_HOME/nats/credentials.json`` (mode 0600) and
reuses them on every later start; the processes of that home read them there. For a NATS given by URL they come
from settings: ``HOTLINE_NATS_<ROLE>_PASSWORD`` (and ``…_USER``, by default the role's name) per role, or a file
of the same form named by ``HOTLINE_NATS_CREDENTIALS_FILE``. A Kubernetes deployment gives each pod only its
role's password (``helm/``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from infra.secret_files import write_once
from infra.settings import Settings

Role = Literal["api", "worker", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True)
class Identity:
    user: str
    password: str = field(repr=False)


def credentials_file(settings: Settings) -> Path | None:
    """The file the identities are read from: the one named by the settings, else the embedded NATS's own (none
    for a NATS by URL: its credentials are given, never guessed from a home that may belong to another server)."""
    if settings.nats_credentials_file is not None:
        return settings.nats_credentials_file
    return embedded_credentials_file(settings) if settings.embedded_nats else None


def embedded_credentials_file(settings: Settings) -> Path:
    return settings.home / "nats" / "credentials.json"


def identity(settings: Settings, role: Role) -> Identity | None:
    """The identity a process of this role connects as; None: connect without credentials (a NATS by URL that
    asks for none)."""
    password = getattr(settings, f"nats_{role}_password")
    if password is not None:
        return Identity(getattr(settings, f"nats_{role}_user") or role, password.get_secret_value())
    path = credentials_file(settings)
    if path is None or not path.exists():
        return None
    return read_credentials(path).get(role)


def read_credentials(path: Path) -> dict[Role, Identity]:
    data = json.loads(path.read_text())
    return {role: Identity(entry["user"], entry["password"]) for role, entry in data.items() if role in ROLES}


def ensure_credentials(path: Path) -> dict[Role, Identity]:
    """The identities in ``path``, generated there first if it does not exist yet: once, never overwritten (the
    processes already running hold these passwords). Readable by the owner only."""
    write_once(path, {role: {"user": role, "password": secrets.token_urlsafe(32)} for role in ROLES})
    return read_credentials(path)


def connect_options(settings: Settings, role: Role) -> dict[str, str]:
    """``nats.connect`` keyword arguments for this role: its user and password, if it has them."""
    found = identity(settings, role)
    return {} if found is None else {"user": found.user, "password": found.password}
