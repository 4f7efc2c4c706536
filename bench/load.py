"""Offering load at a steady rate, shared by the benches that measure latency under it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable


async def offer_steadily(items: Iterable[str], rate: float, send: Callable[[str], Awaitable[None]]) -> None:
    """Start ``send(item)`` for each item at ``rate`` per second, whatever each one takes, and wait for all:
    a slow step must not slow down the offered load, or saturation would hide as lower latency."""
    started = time.perf_counter()
    sent = []
    for i, item in enumerate(items):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.create_task(send(item)))
    await asyncio.gather(*sent)
