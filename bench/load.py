"""Load offered at a steady rate, and the CPU it costs: shared by the benches that measure under load."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path

import asyncpg

# Chains run before the measured ones, at the same rate, and awaited: the measurement starts on warm
# connections, caches and plans with nothing queued, and reports the steady state. What the cold start
# costs is reported beside it (``cold_p99_ms``), not mixed in.
WARMUP_S = 2.0


def warmup_chains(rate: float) -> int:
    """How many chains warm up a run at ``rate``."""
    return max(20, int(rate * WARMUP_S))


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


class Chains:
    """Chains under way: when each reached its end, and the first step started on the way that failed.

    ``forward`` and ``arrived`` are made to be LISTEN callbacks (the payload is their last argument)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.arrived_at: dict[str, float] = {}
        self._failures: list[BaseException] = []
        self._steps: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()

    def forward(self, step: Callable[[str], Coroutine[None, None, None]]) -> Callable[..., None]:
        """A callback that starts ``step(payload)`` on its own task: several desks working at once."""
        def start(*args: object) -> None:
            task = asyncio.create_task(step(str(args[-1])))
            self._steps.add(task)
            task.add_done_callback(self._finished)
        return start

    def arrived(self, *args: object) -> None:
        self.arrived_at.setdefault(str(args[-1]), time.perf_counter())
        if len(self.arrived_at) == self.total:
            self._done.set()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._steps.discard(task)
        if not task.cancelled() and task.exception() is not None:  # say why, rather than wait for the timeout
            self._failures.append(task.exception())  # type: ignore[arg-type]
            self._done.set()

    async def wait(self, timeout: float, where: str) -> None:
        """Until every chain arrived; RuntimeError if one did not in ``timeout`` s or a step failed."""
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"only {len(self.arrived_at)} of {self.total} chains reached {where} in time") from None
        if self._failures:
            raise RuntimeError(f"a step on the way to {where} failed: {self._failures[0]!r}")


async def run_chains(listener: asyncpg.Connection, numbers: list[str], rate: float,
                     send: Callable[[str], Awaitable[None]],
                     forward: tuple[str, Callable[[str], Coroutine[None, None, None]]], arrival: str,
                     timeout: float, where: str) -> Chains:
    """One phase of a bench: ``send`` each number at ``rate``; a NOTIFY on channel ``forward[0]`` starts the
    middle level's step ``forward[1]``, one on ``arrival`` marks a chain's end. Returns once all arrived."""
    chains = Chains(len(numbers))
    step, arrived = chains.forward(forward[1]), chains.arrived
    await listener.add_listener(forward[0], step)  # several desks at once
    await listener.add_listener(arrival, arrived)
    try:
        await offer_steadily(numbers, rate, send)
        await chains.wait(timeout, where)
    finally:
        await listener.remove_listener(forward[0], step)
        await listener.remove_listener(arrival, arrived)
    return chains


def machine_busy_s() -> float:
    """CPU seconds all cores spent busy so far (``/proc/stat``); 0 where it is not there."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
