"""The real platform the browser tests drive: the built console, a database with 郑州 → 中原区 → 林山寨街道, the
units and the people of each level, the API as a uvicorn process and a federation worker.

Everything here takes its settings as an argument (never ``get_settings()``): the browser tests' database is the
session's own, whatever other test modules do with the environment meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text

from core.routing.demo import seed_routing_rules
from embedded.process import free_port, wait_until
from iam.store import sync_policies
from infra.db import sync_engine
from infra.settings import Settings
from sso.demo import PERSON_NAMES
from sso.realm import admin_client, sync_realm
from sso.tokens import password_grant
from sso.users import NewUser, create_user
from tenants.demo import seed_units
from tenants.divisions import Division
from tenants.migrate import migrate_tenants, upgrade_shared
from tenants.service import register

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "console"
HOTLINE = str(Path(sys.executable).parent / "hotline")
PASSWORD = "Browser-12345!"
PROVINCE, CITY, DISTRICT, TOWN = "41", "4101", "410102", "410102001"  # 河南 → 郑州 → 中原区 → 林山寨街道
DIVISIONS = [Division(PROVINCE, "河南省"), Division(CITY, "郑州市"), Division(DISTRICT, "中原区"),
             Division(TOWN, "林山寨街道")]
# Who works the journey, as the demo province has them (sso/demo.py): key → (tenant, roles, unit code).
PEOPLE: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "zz-operator": (CITY, ("operator",), None), "zz-dispatcher": (CITY, ("dispatcher",), None),
    "zz-reviewer": (CITY, ("reviewer",), None), "zz-caller": (CITY, ("caller",), None),
    "zz-admin": (CITY, ("admin",), None), "zz-supervisor": (CITY, ("supervisor",), None),
    "henan-supervisor": (PROVINCE, ("supervisor",), None), "henan-admin": (PROVINCE, ("admin",), None),
    "zy-dispatcher": (DISTRICT, ("dispatcher",), None), "zy-reviewer": (DISTRICT, ("reviewer",), None),
    "lj-dispatcher": (TOWN, ("dispatcher",), None), "lj-reviewer": (TOWN, ("reviewer",), None),
    "lj-urban": (TOWN, ("handler",), "urban"),
    # 郑州's departments, whose work the ranking scores (tests/browser/test_ranking.py).
    "zz-housing": (CITY, ("handler",), "housing"), "zz-urban": (CITY, ("handler",), "urban"),
}
# The people the demo does not have, named as a centre would name them (the 人员管理 screenshot lists them).
NAMES = PERSON_NAMES | {"zz-urban": "曾毅"}
CONSOLE_SOURCES = ("src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json")


def _newest(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def build_console() -> Path:
    """console/dist, built by `hotline console build` unless it is newer than every source of the console."""
    index = CONSOLE / "dist" / "index.html"
    sources = max(_newest(CONSOLE / name) for name in CONSOLE_SOURCES if (CONSOLE / name).exists())
    if not index.exists() or index.stat().st_mtime < sources:
        done = subprocess.run([HOTLINE, "console", "build"], cwd=REPO, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return index.parent


@dataclass
class Stack:
    """The platform as the browser sees it: its console URL, its settings and its people's usernames."""

    settings: Settings
    url: str
    usernames: dict[str, str]
    units: dict[str, dict[str, int]]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    password: str = PASSWORD

    def username(self, who: str) -> str:
        return self.usernames[who]

    def api(self, who: str) -> httpx.Client:
        """An API client with ``who``'s token (the password grant): for the test's own bookkeeping, never a step."""
        token = password_grant(self.settings.issuer, self.usernames[who], self.password)["access_token"]
        return httpx.Client(base_url=f"{self.url}/api/v1", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def create_tree(settings: Settings) -> dict[str, dict[str, int]]:
    """The shared schema, the four levels as tenants with their schemas, the demo's units of the city, the
    district and the town; returns each tenant's units by code."""
    engine = sync_engine(settings)
    try:
        upgrade_shared(engine)
        sync_policies(engine)
        register(engine, DIVISIONS)
        migrate_tenants(settings, engine, [d.code for d in DIVISIONS])
        seed_units(engine, [(d.code, d.name, d.level) for d in DIVISIONS])
        seed_routing_rules(engine, [(d.code, d.name, d.level) for d in DIVISIONS])  # the demo's 派单目录
        units: dict[str, dict[str, int]] = {}
        with engine.connect() as conn:
            for d in DIVISIONS[1:]:
                rows = conn.execute(text(f'SELECT code, id FROM "t_{d.code}".units')).all()
                units[d.code] = {code: unit_id for code, unit_id in rows}
        return units
    finally:
        engine.dispose()


def create_people(settings: Settings, units: dict[str, dict[str, int]], suffix: str) -> dict[str, str]:
    """Keycloak users for PEOPLE (usernames carry ``suffix``: the session's Keycloak is shared by every module),
    called as the demo's people are (``sso.demo.PERSON_NAMES``)."""
    kc = admin_client(settings)
    engine = sync_engine(settings)
    names = {}
    try:
        for who, (tenant, roles, unit) in PEOPLE.items():
            name = f"{who}-{suffix}"
            create_user(kc, engine, NewUser(name, PASSWORD, tenant, list(roles),
                                            units[tenant][unit] if unit else None,
                                            name=NAMES.get(who, who)))
            names[who] = name
    finally:
        engine.dispose()
    return names


def create_database(admin_url: str, settings: Settings, name: str) -> Settings:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = settings.postgres_url.rsplit("/", 1)[0] + f"/{name}"
    return settings.model_copy(update={"database_url": url, "nats_prefix": f"t{uuid.uuid4().hex[:10]}"})


def start_stack(settings: Settings, port: int | None = None) -> tuple[Settings, list[subprocess.Popen[bytes]]]:
    """The API (uvicorn) on ``port`` with the console URL pointing at it, Keycloak's console client synced to
    that URL, and a federation worker."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"console_url": url, "api_port": port})
    sync_realm(settings)  # the console client's redirect URI follows the console URL
    env = {**os.environ, **settings.as_env(), "HOTLINE_CONSOLE_URL": url, "HOTLINE_API_PORT": str(port)}
    log_dir = Path(os.environ.get("HOTLINE_TEST_WORKER_LOG") or settings.home)
    api_log = open(log_dir / f"browser-api-{port}.log", "wb")  # noqa: SIM115 (the process outlives this call)
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory", "--host",
                            "127.0.0.1", "--port", str(port), "--no-access-log", "--no-proxy-headers"],
                           env=env, stdout=api_log, stderr=api_log, start_new_session=True)
    worker_log = open(log_dir / f"browser-worker-{port}.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen([HOTLINE, "worker"], env=env, stdout=worker_log, stderr=worker_log,
                              start_new_session=True)

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(answers, 60):
        api.terminate()
        worker.terminate()
        raise RuntimeError(f"the API did not start: see {api_log.name}")
    return settings, [worker, api]
