"""Where the platform leans on libraries' private internals: SQLAlchemy's asyncpg adapter, nats-py's pull
subscription and Alembic's script directory. Nowhere else may touch them; ``tests/test_compat.py`` fails if
a release changes what is used here (hence SQLAlchemy's minor version and nats-py's version pinned in
pyproject.toml).

SQLAlchemy: a unit of work (``infra.unit_of_work``) writes on the session's own asyncpg connection, inside the
session's transaction. SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its own first statement, and
would fail on a transaction begun by anyone else; so the adapter itself is asked to begin (a private method)
and asked whether it has (a private attribute). One trip into SQLAlchemy's sync world reaches the adapter,
not two (``connection()``, then ``get_raw_connection()``): each is a new greenlet, and a new greenlet costs
Python 3.11 a frame stack of its own (mmap, page faults).

Alembic: ``tenants.migrate`` runs a revision range on a connection it holds (under its own lock, in its own
transaction) through ``EnvironmentContext`` with the steps its ``command.upgrade`` would compute, by the same
private method.

nats-py: ``federation.pull`` asks a pull consumer for the messages waiting now with a no-wait request on the
subscription's own inbox (nats-py's ``fetch`` cannot ask that), and reads the answers from the same inbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from alembic.script import ScriptDirectory
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

# ---- SQLAlchemy's asyncpg adapter -----------------------------------------------------------


async def session_adapter(session: AsyncSession) -> Any:
    """The DBAPI adapter (``AsyncAdapt_asyncpg_connection``) of the session's connection, reached in one greenlet."""
    return await greenlet_spawn(_adapter, session.sync_session)


def _adapter(session: Session) -> Any:
    return session.connection().connection.dbapi_connection


def adapter_in_transaction(adapter: Any) -> bool:
    """Whether the adapter has begun its transaction (it begins lazily, before its first statement)."""
    return adapter._transaction is not None


async def adapter_begin(adapter: Any) -> None:
    """Begin the adapter's transaction as its own first statement would: its commit and rollback end it."""
    await adapter._start_transaction()


def adapter_driver(adapter: Any) -> asyncpg.Connection:
    """The asyncpg connection under the adapter."""
    return adapter.driver_connection


# ---- Alembic's script directory --------------------------------------------------------------


def upgrade_steps(script: ScriptDirectory, destination: str, current: Sequence[str] | str | None) -> list[Any]:
    """The migration steps from ``current`` (None: an empty database) up to ``destination``, as Alembic's
    ``command.upgrade`` hands them to its environment."""
    return script._upgrade_revs(destination, current)


# ---- nats-py's pull subscription ------------------------------------------------------------


async def request_waiting(sub: JetStreamContext.PullSubscription, most: int) -> None:
    """Ask the subscription's consumer for up to ``most`` messages it holds now, without waiting for more; the
    answers come to the subscription's inbox (``next_answer``)."""
    await sub._nc.publish(sub._nms, f'{{"batch": {int(most)}, "no_wait": true}}'.encode(), sub._deliver)


async def next_answer(sub: JetStreamContext.PullSubscription, timeout: float) -> Msg:
    """The next message on the subscription's inbox: a message, or a status (``is_heartbeat``, 404, …).
    nats-py's TimeoutError if none comes in ``timeout`` seconds."""
    return await sub._sub.next_msg(timeout=timeout)


def is_heartbeat(status: str | None) -> bool:
    """Whether the status of an answer is only the server's heartbeat (the request is still open)."""
    return JetStreamContext._is_heartbeat(status)
