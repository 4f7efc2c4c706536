"""The libraries' private internals ``infra.compat`` leans on still exist and behave as it expects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext
from nats.js.api import StatusCode
from sqlalchemy import text

from federation.transport import connect
from infra.compat import (
    adapter_begin,
    adapter_driver,
    adapter_in_transaction,
    is_heartbeat,
    next_answer,
    request_waiting,
    session_adapter,
    upgrade_steps,
)
from infra.db import Database
from tenants.migrate import script_directory
from tests.conftest import create_database
from tests.services import ServiceSet


@pytest.fixture(scope="module")
async def db(services: ServiceSet) -> AsyncIterator[Database]:
    database = Database(create_database(services, "compat"))
    yield database
    await database.dispose()


# ---- SQLAlchemy's asyncpg adapter ---------------------------------------------------------------------------


async def test_a_session_that_ran_no_statement_has_not_begun_its_adapters_transaction(db: Database) -> None:
    async with db.shared_session() as session:
        adapter = await session_adapter(session)
        assert not adapter_in_transaction(adapter)
        assert not adapter_driver(adapter).is_in_transaction()


async def test_the_adapters_transaction_begun_for_it_is_the_one_its_session_runs_in(db: Database) -> None:
    async with db.shared_session() as session:
        adapter = await session_adapter(session)
        await adapter_begin(adapter)
        assert adapter_in_transaction(adapter) and adapter_driver(adapter).is_in_transaction()
        ours = await adapter_driver(adapter).fetchval("SELECT txid_current()")
        assert await session.scalar(text("SELECT txid_current()")) == ours  # no BEGIN of its own: it would fail


async def test_the_session_commits_the_adapters_transaction_begun_for_it(db: Database) -> None:
    async with db.shared_session() as session:
        adapter = await session_adapter(session)
        await adapter_begin(adapter)
        xid = await adapter_driver(adapter).fetchval("SELECT txid_current()")
        await session.commit()
        assert not adapter_driver(adapter).is_in_transaction()
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT txid_status(:x)"), {"x": xid}) == "committed"


async def test_the_session_rolls_back_the_adapters_transaction_begun_for_it(db: Database) -> None:
    async with db.shared_session() as session:
        adapter = await session_adapter(session)
        await adapter_begin(adapter)
        xid = await adapter_driver(adapter).fetchval("SELECT txid_current()")
        await session.rollback()
        assert not adapter_in_transaction(adapter)
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT txid_status(:x)"), {"x": xid}) == "aborted"


# ---- nats-py's pull subscription ----------------------------------------------------------------------------


@pytest.fixture
async def subscription(services: ServiceSet) -> AsyncIterator[tuple[JetStreamContext, JetStreamContext.PullSubscription,
                                                                     str]]:
    # A stream of the test's own, outside any namespace, deleted afterwards: the admin's to do.
    nc = await connect(services.settings, "test-compat", "admin")
    js = nc.jetstream()
    name = f"COMPAT_{uuid.uuid4().hex[:6].upper()}"
    await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="compat", stream=name)
    yield js, sub, name
    await js.delete_stream(name)
    await nc.close()


async def test_a_no_wait_request_is_answered_with_the_messages_waiting_then_a_status(
        subscription: tuple[JetStreamContext, JetStreamContext.PullSubscription, str]) -> None:
    js, sub, name = subscription
    for i in range(2):
        await js.publish(f"{name.lower()}.x", str(i).encode())
    await request_waiting(sub, 5)
    answers = [await next_answer(sub, 5.0) for _ in range(3)]
    assert [JetStreamContext.is_status_msg(a) for a in answers] == [None, None, "404"]
    assert [a.data for a in answers[:2]] == [b"0", b"1"]


def test_only_the_control_status_is_a_heartbeat() -> None:
    assert is_heartbeat(StatusCode.CONTROL_MESSAGE)
    assert not is_heartbeat("404")
    assert not is_heartbeat(None)


# ---- Alembic's script directory -----------------------------------------------------------------------------


def test_the_upgrade_steps_of_an_empty_database_run_every_revision_up_to_the_head_in_order() -> None:
    script = script_directory()
    steps = upgrade_steps(script, "shared@head", None)
    assert all(step.is_upgrade for step in steps)
    assert steps[0].revision.revision == "s0001"
    assert steps[-1].revision.revision == script.revision_map.get_current_head("shared")
