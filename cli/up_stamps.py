"""What `hotline up` left behind last time, so that the next `up` skips what has nothing new to do.

`up` migrates every tenant, loads the demo province and syncs Keycloak (realm, a group per tenant and unit,
demo users) each time. Done again with nothing changed, that work writes nothing, but reading every tenant's
version and units costs seconds over Henan's 2,786 schemas, and the realm sync's admin logins cost several
more on a Keycloak just started (its first requests run cold). So a step, once it has succeeded, records a
fingerprint of the state it left (a *stamp*, in ``<home>/stamps.json``); the next `up` computes the same
fingerprint first and skips the step when it matches. Each fingerprint costs a query or two:

- ``prepare`` (migrations and the demo province): the code's Alembic heads, which database, its shared
  revision and one tenant schema's, the registry (codes, statuses, names, paths), and the demo's inputs.
  A database restored from an older dump has an older revision and so runs the migrations again.
- ``identity`` (Keycloak): the registry, the units' change counters (PostgreSQL's statistics: one catalog
  query, where reading every tenant's ``units`` took 1.5–2 s), what the realm should hold, and the realm's
  public key (a new key means a realm made anew). The counters are not transactional: they are reset after
  a crash (the reset time is part of the fingerprint, so a reset means one sync more, never one skipped),
  and a unit added a moment before `up` may not be counted yet: its group then waits for the next `up`,
  or `hotline sso sync`, which always runs in full.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from infra.settings import Settings
from sso.demo import DEMO_USERS
from sso.realm import BUILT_IN_CLIENTS, REALM_SETTINGS, ROLE_DESCRIPTIONS, SERVICE_ROLES, client_specs
from tenants.migrate import head

_REGISTRY = ("SELECT count(*), md5(coalesce(string_agg(code || ':' || status || ':' || name || ':' || path, ',' "
             "ORDER BY code), '')) FROM public.tenants")
_UNITS_COUNTERS = (
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text, count(*), "
    "(SELECT stats_reset FROM pg_stat_bgwriter)::text, "
    "(SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())::text "
    "FROM pg_stat_user_tables WHERE relname = 'units' AND schemaname LIKE 't\\_%'")


class Stamps:
    """The fingerprints of the state each step left when it last succeeded, in a file of the home."""

    def __init__(self, home: Path) -> None:
        self.file = home / "stamps.json"

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.file.read_text())
        except (OSError, ValueError):
            return {}

    def matches(self, step: str, fingerprint: str | None) -> bool:
        return fingerprint is not None and self._read().get(step) == fingerprint

    def record(self, step: str, fingerprint: str | None) -> None:
        stamps = self._read()
        if fingerprint is None:
            stamps.pop(step, None)
        else:
            stamps[step] = fingerprint
        self.file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.file.with_suffix(".tmp")
        partial.write_text(json.dumps(stamps, indent=1))
        partial.replace(self.file)

    def forget(self, step: str) -> None:
        self.record(step, None)


def _digest(parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def prepare_fingerprint(settings: Settings, engine: Engine, demo: bool) -> str | None:
    """The state migrations and the demo load leave; None if the database cannot say (not migrated yet)."""
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('public.tenants') IS NULL OR "
                             "to_regclass('public.alembic_version') IS NULL")).scalar():
            return None
        where = conn.execute(text("SELECT oid::text, datname FROM pg_database "
                                  "WHERE datname = current_database()")).one()
        shared = conn.execute(text("SELECT version_num FROM public.alembic_version")).scalar()
        registry = conn.execute(text(_REGISTRY)).one()
        first = conn.execute(text("SELECT schema_name FROM public.tenants WHERE status = 'active' ORDER BY code "
                                  "LIMIT 1")).scalar()
        sample = None
        if first is not None and conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"),
                                              {"t": f"{first}.alembic_version"}).scalar():
            sample = conn.execute(text(f'SELECT version_num FROM "{first}".alembic_version')).scalar()
    inputs = {"heads": [head("shared"), head("tenant")], "database": [settings.postgres_url, *where], "shared": shared,
              "sample": [first, sample], "registry": list(registry)}
    if demo:
        inputs["demo"] = [settings.demo_province, settings.demo_town_cities, _files(settings.divisions_dir)]
    return _digest(inputs)


def identity_fingerprint(settings: Settings, engine: Engine, demo: bool) -> str | None:
    """The state the Keycloak sync leaves; None if the realm does not exist (or Keycloak does not say)."""
    try:
        realm = httpx.get(settings.issuer, timeout=5)  # public: no admin login (the slow part on a cold Keycloak)
    except httpx.HTTPError:
        return None
    if realm.status_code != 200:
        return None
    with engine.connect() as conn:
        registry = conn.execute(text(_REGISTRY)).one()
        units = conn.execute(text(_UNITS_COUNTERS)).one()
    wanted = {"roles": sorted((role.value, text_) for role, text_ in ROLE_DESCRIPTIONS.items()),
              "clients": client_specs(settings), "realm": REALM_SETTINGS, "built_in": BUILT_IN_CLIENTS,
              "service_roles": SERVICE_ROLES, "users": [repr(user) for user in DEMO_USERS] if demo else None}
    return _digest({"key": realm.json().get("public_key"), "registry": list(registry), "units": list(units),
                    "wanted": wanted})


def _files(directory: Path) -> list[tuple[str, int, int]]:
    """Names, sizes and modification times of the files of a directory (the divisions' reference data)."""
    try:
        return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir() if p.is_file())
    except OSError:
        return []
