"""The process's NATS connection, kept alive in the background.

nats-py gives up when the first connect fails (it retries only after a connection has
existed), so the API would die if NATS were down at its start. ``NatsLink`` keeps trying in
a background task instead and reports whether it is connected; /readyz uses that.

It connects as the ``api`` identity (``infra/nats_auth.py``), which may publish and subscribe nothing: a ping
needs neither. The identity is looked up at each attempt: the embedded NATS writes its credentials when it
first starts, which may be after the API.
"""

from __future__ import annotations

import asyncio
import contextlib

import nats
from nats.aio.client import Client

from federation.nats_log import NatsLog
from infra.nats_auth import connect_options
from infra.settings import Settings


class NatsLink:
    def __init__(self, settings: Settings, name: str = "hotline-api") -> None:
        self.settings = settings
        self.url = settings.effective_nats_url
        self.name = name
        self.client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._log = NatsLog(name, self.url)

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever())

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                self.client = await nats.connect(
                    self.url, name=self.name, connect_timeout=2, allow_reconnect=True,
                    max_reconnect_attempts=-1, reconnect_time_wait=1, **connect_options(self.settings, "api"),
                    **self._log.callbacks(),
                )
                self._log.client = self.client
                self._log.first_connected()
                return
            except Exception as exc:  # keep trying: NATS may come up after us
                self._log.first_connect_failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def ping(self, timeout: float = 1.0) -> bool:
        """True when NATS answers a round trip right now."""
        client = self.client
        if client is None or not client.is_connected:
            return False
        try:
            await client.flush(timeout=timeout)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.client is not None and not self.client.is_closed:
            with contextlib.suppress(Exception):
                await self.client.drain()
