"""The one write path of orders: a step (``core.orders.step.order_step``, a unit of work) and its rules."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders import rows
from core.orders.events import new_event
from core.orders.step import WriteConflict, order_step
from federation.outbox import Outgoing, enqueue
from iam.actors import Actor, Role
from infra.settings import Settings
from tests.orders_helpers import ADMIN, CITY, DISPATCHER, act, register

CITIES = (CITY,)
SYSTEM = Actor(user="test", tenant=CITY, roles=frozenset({Role.supervisor}), home="41/4106")


class _Note:
    kind = "note"

    def body(self) -> str:
        return "{}"


@pytest.fixture(scope="module")
async def unit(client: httpx.AsyncClient) -> int:
    response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                 json={"code": "water", "name": "市水务局", "kind": "department"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    tenant = await app.state.registry.get(app.state.db, CITY)
    async with app.state.db.tenant_session(tenant.schema_name) as found:
        yield found


async def dispatched(client: httpx.AsyncClient, unit: int) -> str:
    number: str = (await register(client))["number"]
    await act(client, number, "dispatch", DISPATCHER, to=unit)
    return number


def status_of(tree: Settings, number: str) -> tuple[Any, ...]:
    """The order's status and its lead assignment's note, as another connection reads them."""
    with psycopg.connect(tree.postgres_url) as conn:
        found = conn.execute(f"SELECT o.status, a.note FROM t_{CITY}.orders o LEFT JOIN t_{CITY}.order_assignments a "
                             "ON a.order_id = o.id AND a.role = 'lead' WHERE o.number = %s", (number,)).fetchone()
    assert found is not None
    return tuple(found)


# ---- a step writes what it staged when it ends, and only then -----------------------------------------------


async def test_a_step_left_without_an_error_writes_its_changes_and_commits(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    async with order_step(session):
        order = await rows.read_for_change(session, number=number)
        assert order is not None
        rows.assignments(session, order)[0].note = "written at the step's end"
        assert status_of(tree, number) == ("dispatched", None)  # not before
    assert status_of(tree, number) == ("dispatched", "written at the step's end")
    assert not session.in_transaction()


async def test_a_step_that_raises_writes_nothing(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    with pytest.raises(ValueError, match="the rules refused"):
        async with order_step(session):
            order = await rows.read_for_change(session, number=number)
            assert order is not None
            order.status = "closed"
            rows.assignments(session, order)[0].note = "never written"
            raise ValueError("the rules refused")
    assert status_of(tree, number) == ("dispatched", None)
    assert not session.in_transaction()


async def test_an_optimistic_step_whose_order_changed_meanwhile_writes_nothing_of_its_assignments(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    with pytest.raises(WriteConflict):
        async with order_step(session, optimistic=True):
            order = await rows.read_for_change(session, number=number)
            assert order is not None
            rows.assignments(session, order)[0].note = "lost to the other step"
            with psycopg.connect(tree.postgres_url) as conn:  # another writer changes the order meanwhile
                conn.execute(f"UPDATE t_{CITY}.orders SET updated_at = now() WHERE number = %s", (number,))
    assert status_of(tree, number) == ("dispatched", None)


# ---- nothing is staged outside a step -----------------------------------------------------------------------


async def test_reading_an_order_to_change_it_outside_a_step_is_refused(session: AsyncSession) -> None:
    with pytest.raises(RuntimeError, match="no unit of work is open"):
        await rows.read_for_change(session, number=f"{CITY}-20260101-000001")


async def test_sending_a_message_outside_a_step_is_refused(session: AsyncSession) -> None:
    with pytest.raises(RuntimeError, match="no unit of work is open"):
        await enqueue(session, uuid.uuid4(), CITY, Outgoing("41/4106/410602", _Note()))


async def test_a_step_inside_a_step_is_refused(session: AsyncSession) -> None:
    with pytest.raises(RuntimeError, match="open on this session already"):
        async with order_step(session), order_step(session, optimistic=True):
            pass


# ---- what hangs on an order is written only with its order --------------------------------------------------


async def test_an_assignment_for_an_order_the_step_did_not_read_is_refused(
        client: httpx.AsyncClient, session: AsyncSession, unit: int) -> None:
    number = await dispatched(client, unit)
    async with order_step(session):
        order = await rows.read_for_change(session, number=number)
        assert order is not None
    with pytest.raises(RuntimeError, match=f"order {order.id} was not read to change it in this step"):
        async with order_step(session):
            rows.add_assignment(session, order_id=order.id, unit_id=unit, role="co", status="dispatched")


async def test_an_event_for_an_order_the_step_did_not_read_is_refused(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    async with order_step(session):
        order = await rows.read_for_change(session, number=number)
        assert order is not None
    with pytest.raises(RuntimeError, match="its event chain is on its row"):
        async with order_step(session):
            rows.add_event(session, new_event(order, action="contact", from_status=order.status, actor=SYSTEM,
                                              now=order.updated_at))


async def test_a_changed_assignment_without_its_orders_version_check_is_refused(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    with pytest.raises(RuntimeError, match="did not read its order to change it with its version"):
        async with order_step(session, optimistic=True) as step:
            order = await rows.read_for_change(session, number=number)
            assert order is not None
            rows.assignments(session, order)[0].note = "unchecked"
            step.writer(rows.RowStore, lambda: None).versions.pop(order.id)  # type: ignore[arg-type,return-value]
    assert status_of(tree, number) == ("dispatched", None)


# ---- a step ends with its transaction -----------------------------------------------------------------------


async def test_a_commit_inside_a_step_is_refused(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    with pytest.raises(RuntimeError, match="commit inside a unit of work"):
        async with order_step(session):
            order = await rows.read_for_change(session, number=number)
            assert order is not None
            rows.assignments(session, order)[0].note = "would be lost by that commit"
            await session.commit()
    assert status_of(tree, number) == ("dispatched", None)


async def test_a_rollback_inside_a_step_ends_it(
        client: httpx.AsyncClient, session: AsyncSession, unit: int, tree: Settings) -> None:
    number = await dispatched(client, unit)
    with pytest.raises(RuntimeError, match="transaction ended inside its block"):
        async with order_step(session):
            order = await rows.read_for_change(session, number=number)
            assert order is not None
            await session.rollback()  # the lock is gone: what the step read can no longer be written
            rows.assignments(session, order)[0].note = "after the rollback"
    assert status_of(tree, number) == ("dispatched", None)


# ---- intake goes the same way --------------------------------------------------------------------------------


async def test_intake_writes_its_order_with_its_attachments_and_related_orders(
        client: httpx.AsyncClient, tree: Settings) -> None:
    earlier = (await register(client))["number"]
    attachment = {"file_name": "漏水.jpg", "content_type": "image/jpeg", "size_bytes": 1024, "sha256": "a" * 64,
                  "storage_key": "photos/1.jpg"}
    created = await register(client, attachments=[attachment], related=[earlier], longitude="114.297591",
                             latitude="35.747626")
    assert created["links"] == [{"kind": "related", "number": earlier}]
    with psycopg.connect(tree.postgres_url) as conn:
        found = conn.execute(f"SELECT a.file_name, o.search IS NOT NULL, o.longitude::text, o.channel, o.event_seq "
                             f"FROM t_{CITY}.attachments a JOIN t_{CITY}.orders o ON o.id = a.order_id "
                             "WHERE o.number = %s", (created["number"],)).fetchall()
    assert found == [("漏水.jpg", True, "114.297591", "phone", 1)]
