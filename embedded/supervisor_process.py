"""The supervisor as a process of the home: `hotline supervise`, which `hotline up --detach` leaves running
and `hotline down` stops before anything else (else it would restart what `down` stops).

One per home: whoever supervises (the detached process, or `hotline up` in the foreground) holds an
exclusive lock on ``<home>/supervisor/lock`` for as long as it runs, and writes its own pid file once it has
the lock; a second one finds the lock taken and leaves. The kernel drops the lock with the process, so a
supervisor killed outright never blocks the next one. Its log (``<home>/supervisor/log``) says what died
and when it was restarted; ``state.json`` beside it holds the counts `hotline status` shows.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from embedded.base import CommandProcess
from embedded.restart_record import RestartRecord


class SupervisorProcess(CommandProcess):
    name = "supervisor"
    command = "supervise"
    start_timeout = 30.0

    @property
    def url(self) -> str:
        return str(self.log_file)

    @property
    def record_file(self) -> Path:
        return self.dir / "state.json"

    def record(self) -> RestartRecord | None:
        """What the running (or last) supervisor has restarted."""
        return RestartRecord.load(self.record_file)

    def _launch(self) -> None:
        # No pid file from here: the process writes its own once it holds the lock (it may find another
        # supervisor there first, and must not overwrite that one's pid).
        self._spawn(pid_file=None)

    def claim(self) -> IO[str] | None:
        """Become this home's supervisor: the held lock file (keep it open while supervising), with this
        process's pid written; None if another process supervises already."""
        self.dir.mkdir(parents=True, exist_ok=True)
        lock = open(self.dir / "lock", "w")  # noqa: SIM115 — held open for as long as we supervise
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        self.pid_file.write_text(f"{os.getpid()}\n")
        return lock

    def release(self, lock: IO[str]) -> None:
        """Stop being the supervisor: the pid file goes (if still ours), then the lock."""
        if self.pid() == os.getpid():
            self.pid_file.unlink(missing_ok=True)
        lock.close()
