"""What the watchdog has done, in a file of the home: `hotline status` reads it from another process.

One JSON file (``<home>/supervisor/state.json``), replaced whole on every change (written beside and
renamed), so a reader never sees half of it. It describes the current (or last) supervisor run only: a new
`hotline up` starts a new record.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path


def now_iso(later_s: float = 0.0) -> str:
    """Now (or ``later_s`` seconds from now) as the record writes times: ISO 8601, UTC, to the second."""
    return (datetime.now(UTC) + timedelta(seconds=later_s)).isoformat(timespec="seconds")


@dataclass
class ServiceRestarts:
    """One service under watch: how often it was restarted, when last, and what is pending."""

    restarts: int = 0
    last_restart: str | None = None  # ISO time (UTC)
    last_exit: str | None = None  # how the process before the last restart ended, when known
    next_restart: str | None = None  # set while a restart waits out its backoff
    last_error: str | None = None  # why the last restart attempt failed, if it did


@dataclass
class RestartRecord:
    pid: int
    started_at: str = field(default_factory=now_iso)
    services: dict[str, ServiceRestarts] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self), indent=1))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> RestartRecord | None:
        """The record in the file, or None if there is none (or it cannot be read)."""
        try:
            raw = json.loads(path.read_text())
            services = {name: ServiceRestarts(**entry) for name, entry in raw.get("services", {}).items()}
            return cls(pid=int(raw["pid"]), started_at=raw["started_at"], services=services)
        except (OSError, ValueError, KeyError, TypeError):
            return None
