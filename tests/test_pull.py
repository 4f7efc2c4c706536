"""Pulling from a JetStream consumer (federation/pull.py), against the real NATS of the test services."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext

from federation.pull import pull
from federation.transport import connect
from tests.services import ServiceSet

# Far longer than any answer takes: a pull that returned only at its timeout would fail the test's guard.
WAIT_S = 30.0
GUARD_S = 10.0


@pytest.fixture
async def stream(services: ServiceSet) -> AsyncIterator[tuple[JetStreamContext, str]]:
    # A stream of the test's own, outside any namespace, deleted afterwards: the admin's to do.
    nc = await connect(services.settings, "test-pull", "admin")
    js = nc.jetstream()
    name = f"PULL_{uuid.uuid4().hex[:6].upper()}"
    await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
    yield js, name
    await js.delete_stream(name)
    await nc.close()


async def _publish(js: JetStreamContext, name: str, bodies: range) -> None:
    for i in bodies:
        await js.publish(f"{name.lower()}.x", str(i).encode())


async def test_a_pull_takes_the_messages_waiting_without_waiting_for_a_full_batch(
        stream: tuple[JetStreamContext, str]) -> None:
    js, name = stream
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="pull", stream=name)
    await _publish(js, name, range(5))
    got = await asyncio.wait_for(pull(sub, 50, WAIT_S), GUARD_S)
    assert [m.data for m in got] == [b"0", b"1", b"2", b"3", b"4"]


async def test_each_pull_returns_with_the_message_that_came_while_it_waited(
        stream: tuple[JetStreamContext, str]) -> None:
    js, name = stream
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="pull", stream=name)

    async def publish_soon(i: int) -> None:
        await asyncio.sleep(0.2)
        await _publish(js, name, range(i, i + 1))

    for i in range(3):  # a pull that left a request open would keep the next one waiting
        sending = asyncio.create_task(publish_soon(i))
        got = await asyncio.wait_for(pull(sub, 50, WAIT_S), GUARD_S)
        await sending
        assert [m.data for m in got] == [str(i).encode()]
        for m in got:
            await m.ack()


async def test_a_pull_returns_while_messages_keep_coming(stream: tuple[JetStreamContext, str]) -> None:
    js, name = stream
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="pull", stream=name)

    async def trickle() -> None:
        for i in range(10_000):
            await _publish(js, name, range(i, i + 1))
            await asyncio.sleep(0.01)

    sending = asyncio.create_task(trickle())
    try:
        got = await asyncio.wait_for(pull(sub, 5000, WAIT_S), GUARD_S)
    finally:
        sending.cancel()
    assert got and [m.data for m in got] == [str(i).encode() for i in range(len(got))]


async def test_a_pull_with_nothing_to_take_times_out(stream: tuple[JetStreamContext, str]) -> None:
    js, name = stream
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="pull", stream=name)
    with pytest.raises(TimeoutError):
        await pull(sub, 50, 0.3)


async def test_pulls_take_every_message_once_and_in_order(stream: tuple[JetStreamContext, str]) -> None:
    js, name = stream
    sub = await js.pull_subscribe(f"{name.lower()}.x", durable="pull", stream=name)
    sending = asyncio.create_task(_publish(js, name, range(200)))
    got: list[bytes] = []
    while len(got) < 200:
        msgs = await asyncio.wait_for(pull(sub, 17, WAIT_S), GUARD_S)
        got += [m.data for m in msgs]
        for m in msgs:
            await m.ack()
    await sending
    assert got == [str(i).encode() for i in range(200)]
