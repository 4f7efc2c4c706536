"""Database engines, the declarative bases, and sessions bound to one tenant's schema.

Shared tables live in ``public``. Tenant tables are declared in the placeholder schema
``tenant``; a session for tenant 4101 maps ``tenant`` → ``t_4101`` with SQLAlchemy's
``schema_translate_map`` on the bind (never by changing ``search_path`` on pooled
connections). Every engine uses the same map key, so compiled statements are shared by
all tenants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from infra.settings import Settings

TENANT_SCHEMA = "tenant"
SHARED_SCHEMA = "public"
# Where a tenant session's ``info`` names the schema its tenant tables resolve to.
TENANT_SCHEMA_KEY = "tenant_schema"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SharedBase(DeclarativeBase):
    """Tables of the shared (public) schema: the tenant registry, IAM, outbox, inbox."""

    metadata = MetaData(schema=SHARED_SCHEMA, naming_convention=NAMING)


class TenantBase(DeclarativeBase):
    """Tables that every tenant schema ``t_<code>`` holds."""

    metadata = MetaData(schema=TENANT_SCHEMA, naming_convention=NAMING)


def schema_name(code: str) -> str:
    """The schema of a tenant. Call only with a code the registry has validated."""
    return f"t_{code}"


def sync_engine(settings: Settings, **kwargs: object) -> Engine:
    """A psycopg engine for the CLI, migrations and benchmarks."""
    return create_engine(
        settings.sync_database_url,
        pool_size=kwargs.pop("pool_size", 5),  # type: ignore[arg-type]
        pool_recycle=settings.db_pool_recycle_s,
        pool_pre_ping=True,
        **kwargs,  # type: ignore[arg-type]
    )


def async_engine(settings: Settings) -> AsyncEngine:
    """The asyncpg engine the API and the workers use. Small pool, recycled: tenant-wide backends grow large.

    No overflow: a connection opened in a burst is kept for the next one. An overflow connection is closed
    when it is returned and the pool is full, and under load that happened several times a second; each
    new one costs a backend process, asyncpg's type introspection and every statement prepared again.
    Past ``db_pool_size`` transactions at once, a checkout waits for a connection instead.

    Last in, first out: a quiet desk's requests keep landing on the same warm connection. First in, first out
    walked each request through all 20: a caller's history over 郑州's 225 schemas then met a backend that had
    never opened them (its relation cache empty, the statement planned afresh): 400 ms instead of 30.

    No pre-ping: with asyncpg it costs three round trips per checkout (a third of a dispatch's).
    A connection found dead instead fails its statement; SQLAlchemy then invalidates the whole pool,
    the API answers that one request 503, and the next checkout connects afresh.
    """
    return create_async_engine(
        settings.async_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_recycle=settings.db_pool_recycle_s,
        pool_use_lifo=True,
    )


class Database:
    """The API's database handle: one engine, per-tenant binds derived from it and cached."""

    def __init__(self, settings: Settings) -> None:
        self.engine = async_engine(settings)
        self._shared = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def shared_session(self) -> AsyncIterator[AsyncSession]:
        async with _closing(self._shared()) as session:
            yield session

    @asynccontextmanager
    async def tenant_session(self, schema: str) -> AsyncIterator[AsyncSession]:
        """A session whose ``tenant`` tables resolve to ``schema`` (a registry-validated name)."""
        async with _closing(_tenant_sessionmaker(self.engine, schema)()) as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def _closing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The session, closed when done. One that holds a connection (its transaction is still open: the block
    failed, or did not commit) is closed as ``async with session`` closes it: rolled back and its connection
    returned to the pool, to the end even if the task is cancelled meanwhile. One that holds none (it
    committed, or never used the database) has nothing to return: it is closed at once, without the task
    and the greenlet SQLAlchemy's close costs. With ``infra.compat.session_adapter``'s one greenlet, a dispatch
    step costs ~0.1 ms less CPU and an applied message ~0.15 (docs/benchmarks/dispatch.md)."""
    try:
        yield session
    finally:
        if session.in_transaction():
            async with session:  # its exit closes it
                pass
        else:
            session.sync_session.close()


@lru_cache(maxsize=4096)
def _tenant_sessionmaker(engine: AsyncEngine, schema: str) -> async_sessionmaker[AsyncSession]:
    # The map sits on the bind, not on a connection: connection-level options are lost at commit.
    bind = engine.execution_options(schema_translate_map={TENANT_SCHEMA: schema})
    # The schema's name goes on each session too: a unit of work's rows are written by name (``core.orders.rows``).
    return async_sessionmaker(bind, expire_on_commit=False, info={TENANT_SCHEMA_KEY: schema})
