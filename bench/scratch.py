"""A database of a benchmark's own on the configured server, dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from nats.errors import NoServersError
from nats.js.errors import NotFoundError
from pydantic import SecretStr
from sqlalchemy import Engine

from embedded.postgres import Postgres
from iam.store import sync_policies
from infra.db import sync_engine
from infra.nats_auth import identity
from infra.settings import Settings
from tenants.divisions import Division
from tenants.migrate import migrate_tenants, upgrade_shared
from tenants.service import register


async def _drop_streams(bench: Settings) -> None:
    """The namespace's streams go with the database (a bench that used no NATS has none)."""
    from federation.subjects import Namespace
    from federation.transport import connect

    try:
        nc = await asyncio.wait_for(connect(bench, "bench-cleanup", "admin"), 5)
    except (OSError, TimeoutError, NoServersError):
        return
    js = nc.jetstream()
    for stream in Namespace(bench.nats_prefix).streams():
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream.name)
    await nc.close()


def _bench_workers(settings: Settings) -> dict[str, object]:
    """Who the bench's workers are on NATS: its namespace is a new one each run, which no server's permissions
    name (they name the deployment's own, ``federation/permissions.py``), so they act as the admin."""
    admin = identity(settings, "admin")
    if admin is None:
        return {}
    return {"nats_worker_user": admin.user, "nats_worker_password": SecretStr(admin.password)}


def database_url(settings: Settings, name: str) -> str:
    return urlsplit(settings.postgres_url)._replace(path=f"/{name}").geturl()


@contextmanager
def scratch_database(settings: Settings, prefix: str, *, name: str | None = None,
                     keep: bool = False) -> Iterator[Settings]:
    """Settings bound to a fresh database (or the existing one called ``name``) and a NATS namespace of their
    own; the database is dropped unless ``keep``.

    The embedded PostgreSQL is started if it is not running, and stopped again afterwards.
    """
    pg = Postgres(settings)
    started = pg.start()
    if started:
        pg.wait_healthy()
    name = name or f"{prefix}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database_url(settings, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    bench = settings.model_copy(update={"database_url": database_url(settings, name),
                                        "nats_prefix": f"bench{uuid.uuid4().hex[:6]}", **_bench_workers(settings)})
    try:
        # Its own NATS namespace too: a platform running beside it must not take the bench's messages.
        yield bench
    finally:
        if not keep:
            with psycopg.connect(database_url(settings, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            asyncio.run(_drop_streams(bench))
        if started:
            pg.stop()


def tenant_tree(bench: Settings, divisions: list[Division]) -> Engine:
    """The bench database's shared schema and permission policies, and ``divisions`` registered as tenants and
    migrated; returns a sync engine on it (the caller disposes of it)."""
    engine = sync_engine(bench)
    upgrade_shared(engine)
    sync_policies(engine)
    register(engine, divisions)
    migrate_tenants(bench, engine, [division.code for division in divisions])
    return engine
