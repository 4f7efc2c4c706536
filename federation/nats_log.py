"""What a NATS connection says in the log: a line when it is lost, one when it is back, one when closed.

nats-py's default error callback logs each error with its traceback; while the server is away it retries
once a second and each failed attempt was a traceback in the worker's and the API's logs. ``NatsLog``
gives a connection callbacks that log each change of state once, the first error after a change (without
a traceback), and of the errors repeated while reconnecting only their count, told when it reconnects.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from nats.aio.client import Client

log = logging.getLogger("federation.nats")
# An error repeated while connected (a slow consumer, say) is logged again at most this often.
REPEAT_EVERY_S = 60.0


class NatsLog:
    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url
        self.client: Client | None = None  # set once connected: a close, too, calls ``disconnected``
        self._down_since: float | None = None
        self._last_error: str | None = None
        self._last_error_at = 0.0
        self._repeats = 0

    def callbacks(self) -> dict[str, Any]:
        """The keyword arguments of ``nats.connect`` that report to this log."""
        return {"error_cb": self.error, "disconnected_cb": self.disconnected, "reconnected_cb": self.reconnected,
                "closed_cb": self.closed}

    async def error(self, exc: Exception) -> None:
        text = _describe(exc)
        now = time.monotonic()
        repeated = text == self._last_error and (self._down_since is not None or now - self._last_error_at
                                                 < REPEAT_EVERY_S)
        if repeated:
            self._repeats += 1
            return
        self._last_error, self._last_error_at = text, now
        log.warning("NATS (%s) at %s: %s", self.name, self.url, text)

    async def disconnected(self) -> None:
        if self.client is not None and self.client.is_closed:
            return  # closed on purpose (``closed`` says so), not lost
        if self._down_since is None:
            self._down_since = time.monotonic()
            self._repeats = 0
            log.warning("NATS (%s) disconnected from %s: reconnecting", self.name, self.url)

    async def reconnected(self) -> None:
        down = "" if self._down_since is None else f" after {time.monotonic() - self._down_since:.1f} s"
        repeats = f" ({self._repeats} more failed attempts not logged)" if self._repeats else ""
        log.warning("NATS (%s) reconnected to %s%s%s", self.name, self.url, down, repeats)
        self._down_since, self._last_error, self._repeats = None, None, 0

    async def closed(self) -> None:
        log.info("NATS (%s) connection to %s closed", self.name, self.url)

    def first_connect_failed(self, exc: Exception) -> None:
        """Before the first connection nats-py does not reconnect: its caller tries again (``NatsLink``)."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("NATS (%s) at %s not reachable yet: %s (trying again)", self.name, self.url, _describe(exc))

    def first_connected(self) -> None:
        if self._down_since is not None:
            log.warning("NATS (%s) connected to %s after %.1f s", self.name, self.url,
                        time.monotonic() - self._down_since)
            self._down_since, self._last_error, self._repeats = None, None, 0


def _describe(exc: BaseException) -> str:
    """An error in one line: its type and message, no traceback."""
    text = str(exc).strip() or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"
