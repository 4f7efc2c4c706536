"""PostgreSQL restarted under load: the API answers 503 with Retry-After while it is away, never 500.

A PostgreSQL of this module's own (the session's server is not disturbed) and the API as `hotline up` runs it
(uvicorn, a process of its own). Clients look orders up in a loop while the server is shut down and started
again, once cleanly (sessions end with 57P01, connections are refused with 57P03 "shutting down") and once
as after a crash (recovery: 57P03 "starting up").
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from core.orders.numbers import new_query_code
from embedded.api_process import ApiServer
from embedded.postgres import Postgres, pg_bin_dir
from embedded.process import free_port
from infra.db import sync_engine
from infra.errors import install_error_handlers
from infra.settings import Settings
from tenants.migrate import upgrade_shared
from tests.tempdirs import own_dir

CLIENTS = 4
# What a driver reports while the server is away, each as SQLAlchemy hands it on: shutting down (57P01),
# crashed (57P02), starting up or shutting down when connecting (57P03), the connection gone (08003, 08006),
# out of connections (53300).
AWAY = [asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.ConnectionFailureError("connection failure"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already")]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    # database_url named: a session's HOTLINE_DATABASE_URL in the environment would make this server not ours.
    settings = Settings(home=own_dir("restart-pg"), pg_port=free_port(), pg_fsync=False, database_url=None)
    assert settings.embedded_postgres
    pg = Postgres(settings)
    pg.start()
    pg.wait_healthy()
    pg.ensure_database()
    engine = sync_engine(settings.model_copy(update={"database_url": pg.url}))
    upgrade_shared(engine)
    engine.dispose()
    yield pg
    pg.stop()
    shutil.rmtree(settings.home, ignore_errors=True)


@pytest.fixture(scope="module")
def api(postgres: Postgres) -> Iterator[ApiServer]:
    """The API on that server; no NATS (the public lookup needs none; the API keeps trying in the background)."""
    settings = Settings(home=own_dir("restart-api"), api_port=free_port(),
                        database_url=postgres.url, nats_url=f"nats://127.0.0.1:{free_port()}",
                        # Limits out of the way: every lookup here should reach the database.
                        public_lookups_per_minute=10**9, public_wrong_phones_free=10**9)
    server = ApiServer(settings)
    server.start()
    server.wait_healthy()
    yield server
    server.stop()
    shutil.rmtree(settings.home, ignore_errors=True)


@dataclass
class Load:
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    answered: int = 0  # lookups the database answered (404: no such order), since the last reset
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def _client(http: httpx.AsyncClient, load: Load) -> None:
    while not load.stop.is_set():
        code = new_query_code("4106")
        response = await http.get(f"/api/v1/public/orders/{code}", params={"phone": "13900000000"})
        load.statuses[response.status_code] += 1
        if response.status_code == 503 and not response.headers.get("retry-after", "").isdigit():
            load.unavailable_without_retry_after += 1
        if response.status_code == 404:
            load.answered += 1
        await asyncio.sleep(0.005)


@pytest.fixture
async def load(api: ApiServer) -> AsyncIterator[Load]:
    """Clients looking up orders in a loop until the test ends."""
    state = Load()
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        tasks = [asyncio.create_task(_client(http, state)) for _ in range(CLIENTS)]
        yield state
        state.stop.set()
        await asyncio.gather(*tasks)


async def _answering(load: Load, at_least: int = 50) -> None:
    load.answered = 0
    async with asyncio.timeout(60):  # a bound on the wait, not a measure: the API must come back at all
        while load.answered < at_least:
            await asyncio.sleep(0.05)


def _stop_immediately(pg: Postgres) -> None:
    """As after a crash: the server stops without a checkpoint and recovers from its WAL when started."""
    subprocess.run([str(pg_bin_dir() / "pg_ctl"), "-D", str(pg.data_dir), "-m", "immediate", "-w", "stop"],
                   capture_output=True, user=pg._system_user(), cwd=pg.dir, check=True)


def _restart(pg: Postgres, stop: str) -> None:
    pg.stop() if stop == "fast" else _stop_immediately(pg)
    pg.start()
    pg.wait_healthy()


def _as_sqlalchemy_raises(error: Exception) -> DBAPIError:
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    adapted = dbapi.Error(f"{type(error).__name__}: {error}", error)
    adapted.__cause__ = error
    wrapped = DBAPIError.instance("SELECT 1", {}, adapted, dbapi.Error)
    wrapped.__cause__ = adapted
    return wrapped


def _raising(error: Exception) -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/")
    async def fail() -> None:
        raise error

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://hotline.test")


@pytest.mark.parametrize("error", AWAY, ids=lambda e: getattr(e, "sqlstate", type(e).__name__))
async def test_a_database_away_is_503_with_retry_after_however_the_driver_says_it(error: Exception) -> None:
    for raised in (error, _as_sqlalchemy_raises(error)):
        async with _raising(raised) as client:
            response = await client.get("/")
        assert response.status_code == 503 and response.json()["error"] == "service_unavailable"
        assert response.headers["retry-after"].isdigit()


async def test_a_database_error_that_is_a_bug_stays_a_500() -> None:
    async with _raising(_as_sqlalchemy_raises(asyncpg.UndefinedColumnError("column x does not exist"))) as client:
        response = await client.get("/")
    assert response.status_code == 500 and response.json()["error"] == "internal_error"


def _api_log(api: ApiServer) -> str:
    return Path(api.log_file).read_text(errors="replace") if Path(api.log_file).exists() else ""


async def test_a_restart_under_load_is_answered_503_with_retry_after_never_500(
        postgres: Postgres, api: ApiServer, load: Load) -> None:
    await _answering(load)
    for stop in ("fast", "immediate"):
        await asyncio.to_thread(_restart, postgres, stop)
        await _answering(load)  # and the API recovers on its own
    print(f"\nstatuses over two restarts under load ({CLIENTS} clients): {dict(sorted(load.statuses.items()))}")
    assert load.statuses[500] == 0, _api_log(api)[-4000:]
    assert set(load.statuses) <= {404, 503}, dict(load.statuses)
    assert load.statuses[503] > 0
    assert load.unavailable_without_retry_after == 0
