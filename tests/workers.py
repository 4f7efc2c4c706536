"""Real `hotline worker` processes for the tests, and waiting for what they do."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.main import app as cli

HOTLINE = str(Path(sys.executable).parent / "hotline")


def start_worker(**env: str) -> subprocess.Popen[bytes]:
    """A worker on the module's database and NATS namespace (the environment), with ``env`` on top."""
    # HOTLINE_TEST_WORKER_LOG=/some/dir keeps each worker's log there (to see why a test waited).
    log_dir = os.environ.get("HOTLINE_TEST_WORKER_LOG")
    log = open(Path(log_dir) / f"worker-{time.time_ns()}.log", "wb") if log_dir else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen([HOTLINE, "worker"], env={**os.environ, **env}, stdout=log, stderr=log,
                            start_new_session=True)


def stop_worker(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """The first truthy value of ``check``, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        await asyncio.sleep(0.1)


def federation_is_clean(timeout: float = 45) -> None:
    """`hotline federation check` comes out clean once what is in flight has landed (a fact a killed
    worker held is redelivered after its ack wait, federation.progress.ACK_WAIT_S); the workers must still
    be running."""
    deadline = time.monotonic() + timeout
    while True:
        result = CliRunner().invoke(cli, ["federation", "check", "--stale", "0"])
        if result.exit_code == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert result.exit_code == 0, result.output
