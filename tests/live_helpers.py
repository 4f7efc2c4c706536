"""The API served by uvicorn on a free port (a streamed response arrives as it is written, which httpx's ASGI
transport does not do), and a reader of its live stream (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn

from infra.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The API on its own event loop and thread, with its lifespan; yields its base URL."""
    from app.factory import create_app

    port = _free_port()
    api = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=api.run, daemon=True)
    thread.start()
    for _ in range(300):
        if api.started:
            break
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        api.should_exit = True
        thread.join(timeout=30)


class Stream:
    """The events one person's live stream has delivered so far: (event, data) in order of arrival."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def next(self, kind: str, timeout: float, where: Callable[[dict[str, Any]], bool] = lambda _: True,
                   **wanted: Any) -> dict[str, Any]:
        """The next event of ``kind`` whose data has the ``wanted`` values and passes ``where``, within ``timeout``
        seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} event {wanted} within {timeout} s")
            event, data = await asyncio.wait_for(self.events.get(), left)
            if event == kind and all(data.get(k) == v for k, v in wanted.items()) and where(data):
                return data

    async def none(self, kind: str, within: float, **wanted: Any) -> None:
        """No event of ``kind`` with the ``wanted`` values arrives within ``within`` seconds."""
        with contextlib.suppress(TimeoutError):
            found = await self.next(kind, within, **wanted)
            raise AssertionError(f"an unexpected {kind} event: {found}")


@asynccontextmanager
async def listening(base: str, headers: Mapping[str, str]) -> AsyncIterator[Stream]:
    """A person's live stream, open (subscribed: its first comment has arrived) until the block ends."""
    stream = Stream()
    connected = asyncio.Event()

    async def read() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=None) as client, \
                client.stream("GET", "/api/v1/live", headers=dict(headers)) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            event, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    connected.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    stream.events.put_nowait((event, json.loads(data)))
                    event, data = "message", ""

    task = asyncio.create_task(read())
    try:
        done, _ = await asyncio.wait({task, asyncio.create_task(connected.wait())}, timeout=15,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # its failure, if it failed
        assert connected.is_set(), "the live stream did not open"
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
