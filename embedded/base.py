"""The shape every service managed by ``hotline up`` shares."""

from __future__ import annotations

import fcntl
import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from embedded.process import ServiceError, read_pid, spawn_detached, stop_pid, wait_until
from infra.settings import Settings


@dataclass(frozen=True)
class ServiceState:
    name: str
    url: str
    embedded: bool
    pid: int | None
    healthy: bool
    restarts: int | None = None  # by the supervisor (None: not watched by it)
    last_restart: str | None = None  # ISO time, UTC
    next_restart: str | None = None  # a restart waiting out its backoff


class Service(ABC):
    """A service the platform needs: embedded (started by us) or external (given by URL)."""

    name: str
    start_timeout: float = 60.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def dir(self) -> Path:
        return self.settings.home / self.name

    @property
    def pid_file(self) -> Path:
        return self.dir / "pid"

    @property
    def log_file(self) -> Path:
        return self.dir / "log"

    @property
    @abstractmethod
    def embedded(self) -> bool: ...

    @property
    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def healthy(self) -> bool:
        """Answers right now (one quick probe)."""

    @abstractmethod
    def _launch(self) -> None:
        """Start the embedded process without waiting for it."""

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def start(self) -> bool:
        """Launch the embedded service unless it already runs. Returns True if launched now.

        Under a lock of the service's directory: the supervisor restarting a dead service and a second
        `hotline up` starting it too would otherwise both launch one, and the pid file name only the last.
        """
        if not self.embedded:
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.pid() is not None:
                return False
            self._launch()
            return True

    def wait_healthy(self) -> None:
        """Block until the service answers, or raise with the tail of its log."""
        if wait_until(self.healthy, self.start_timeout, interval=0.25):
            return
        raise ServiceError(
            f"{self.name} did not become healthy within {self.start_timeout:.0f}s at {self.url}."
            + self._log_tail()
        )

    def stop(self) -> bool:
        """Stop the embedded process if it runs. Returns True if something was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        stop_pid(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def state(self) -> ServiceState:
        return ServiceState(self.name, self.url, self.embedded, self.pid(), self.healthy())

    def _log_tail(self, lines: int = 15) -> str:
        if not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        return f"\nLast lines of {self.log_file}:\n" + "\n".join(tail)


class CommandProcess(Service):
    """A long-running ``hotline`` command of this home as a process of its own (the worker, the supervisor):
    always ours, alive while its process is."""

    command: str

    @property
    def embedded(self) -> bool:
        return True

    def healthy(self) -> bool:
        return self.pid() is not None

    def _spawn(self, pid_file: Path | None) -> None:
        argv = [sys.executable, "-m", "cli.main", self.command]
        spawn_detached(argv, log_file=self.log_file, pid_file=pid_file, env={**os.environ, **self.settings.as_env()})
