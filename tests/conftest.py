"""Real services for the whole test session: PostgreSQL, NATS JetStream and (when asked) Keycloak.

Started once per session: by testcontainers where a Docker engine answers, otherwise as
local processes exactly as `hotline up` starts them (the embedded path; CI here always
takes it). Each test module that changes the tenant tree gets a database of its own.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from cli.main import app as cli
from iam.store import sync_policies
from infra.db import sync_engine
from infra.settings import Settings, get_settings
from sso.realm import sync_realm
from tenants.migrate import upgrade_shared
from tests.services import ServiceSet, start_services
from tests.workers import start_worker, stop_worker

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceSet]:
    home = tmp_path_factory.mktemp("hotline-home")
    started = start_services(home)
    # CLI commands run in-process and child processes read the same settings from the environment.
    saved = dict(os.environ)
    os.environ.update(started.env)
    get_settings.cache_clear()
    try:
        yield started
    finally:
        started.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def keycloak(services: ServiceSet) -> str:
    """A running Keycloak with the province's realm synced (started once, on first use)."""
    url = services.ensure_keycloak()
    sync_realm(services.settings)
    return url


def create_database(services: ServiceSet, prefix: str) -> Settings:
    """A fresh, empty database on the session's server, with the shared schema migrated."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(services.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    settings = services.settings_for(name)
    engine = sync_engine(settings)
    upgrade_shared(engine)
    sync_policies(engine)
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def module_db(services: ServiceSet, keycloak: str, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """A database of the module's own, so tree changes in one module never leak into another."""
    settings = create_database(services, request.module.__name__.rsplit(".", 1)[-1])
    # Its own namespace on the session's NATS too: another module's leftover messages are not its own.
    settings = settings.model_copy(update={"nats_prefix": f"t{uuid.uuid4().hex[:10]}"})
    os.environ["HOTLINE_DATABASE_URL"] = settings.postgres_url
    os.environ["HOTLINE_NATS_PREFIX"] = settings.nats_prefix
    get_settings.cache_clear()
    try:
        yield settings
    finally:
        os.environ["HOTLINE_DATABASE_URL"] = services.settings.postgres_url
        os.environ.pop("HOTLINE_NATS_PREFIX", None)
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def tree(module_db: Settings, request: pytest.FixtureRequest) -> Settings:
    """The module's database with the cities its ``CITIES`` names imported (and the province)."""
    for city in request.module.CITIES:
        result = CliRunner().invoke(cli, ["tenants", "import", "--province", "41", "--city", city])
        assert result.exit_code == 0, result.output
    return module_db


@pytest.fixture(scope="module")
def worker(tree: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A real `hotline worker` on the module's database and NATS namespace, for the module's tests."""
    proc = start_worker()
    yield proc
    stop_worker(proc)


@pytest.fixture(scope="module")
async def app(tree: Settings) -> AsyncIterator[FastAPI]:
    """The API on the module's database, with its lifespan run."""
    from app.factory import create_app  # here, not above: the fast tier (tests/fast) never builds the app

    application = create_app(tree)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the module's API in-process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as c:
        yield c


async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process, with its lifespan run."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield client


@pytest.fixture
async def make_client() -> AsyncIterator:
    """Build clients for apps with given settings; all are closed at the end of the test."""
    generators: list[AsyncIterator[httpx.AsyncClient]] = []

    async def make(settings: Settings) -> httpx.AsyncClient:
        from app.factory import create_app

        gen = api_client(create_app(settings))
        generators.append(gen)
        return await gen.__anext__()

    yield make
    for gen in reversed(generators):
        await gen.aclose()
