"""The settings and database a command works on, set up in one place for every command."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import Engine

from infra.db import Database, sync_engine
from infra.settings import Settings, get_settings


@contextmanager
def shared_engine(settings: Settings | None = None) -> Iterator[Engine]:
    """A synchronous engine on the platform's database, disposed when the command is done with it."""
    engine = sync_engine(settings or get_settings())
    try:
        yield engine
    finally:
        engine.dispose()


@asynccontextmanager
async def database(settings: Settings | None = None) -> AsyncIterator[Database]:
    """The async sessions of the platform's database, as the API and the worker have them."""
    db = Database(settings or get_settings())
    try:
        yield db
    finally:
        await db.dispose()
