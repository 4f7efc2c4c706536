"""The watchdog: keeps the services `hotline up` started running, restarting one that dies.

Without it a killed worker stayed dead and cross-level work stopped silently. It looks at every watched
service twice a second (its pid file names a live process, or it does not); one that is gone is started
again after a backoff (``embedded.backoff``: 1 s, 2 s, 4 s … capped), each restart is logged and
counted in the restart record that `hotline status` shows (``embedded.restart_record``).

It runs inside `hotline up` in the foreground, or as the detached `hotline supervise` process
(``embedded.supervisor_process``) that `up --detach` leaves behind and `down` stops first.
Liveness only: a process that runs but does not answer is left alone (Keycloak's first start alone
takes a minute); what it restarts is whatever the home's pid file says is dead.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embedded.backoff import Backoff
from embedded.base import Service
from embedded.restart_record import RestartRecord, ServiceRestarts, now_iso

log = logging.getLogger("hotline.supervisor")
POLL_S = 0.5
# How long a stopping supervisor waits for a start under way (`down` gives it 20 s before SIGKILL).
STOP_WAIT_S = 15.0


@dataclass
class _Watch:
    service: Service
    entry: ServiceRestarts
    backoff: Backoff = field(default_factory=Backoff)
    pid: int | None = None  # the live process last seen
    since: float | None = None  # when that process was first seen (or started) by us
    due: float | None = None  # when the pending restart is to happen
    starting: bool = False  # a start runs in its thread (PostgreSQL's waits for crash recovery)


class Watchdog:
    """Restarts the given services when their process is gone; records what it did in ``record_file``.

    Each start runs in a thread of its own: PostgreSQL's waits until the server accepts connections (after a
    crash, its recovery took 30 s over Henan's 2,786 schemas), and a worker killed meanwhile must not wait.
    """

    def __init__(self, services: Sequence[Service], record_file: Path) -> None:
        self.record_file = record_file
        self.record = RestartRecord(pid=os.getpid())
        self.watches = [_Watch(svc, self.record.services.setdefault(svc.name, ServiceRestarts()))
                        for svc in services]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.record.save(record_file)

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set."""
        names = ", ".join(w.service.name for w in self.watches)
        log.info("supervisor (pid %d) watching %s", os.getpid(), names)
        while not stop.is_set():
            self.tick(stop)
            stop.wait(POLL_S)
        # A start under way finishes first (its pid file written), so that what `down` stops next is all there is.
        for thread in self._threads:
            thread.join(STOP_WAIT_S)
        log.info("supervisor (pid %d) stopped: nothing is restarted any more", os.getpid())

    def tick(self, stop: threading.Event | None = None) -> None:
        """One look at every service, in start order (the database before what needs it)."""
        for watch in self.watches:
            if stop is not None and stop.is_set():
                return  # `down` is stopping everything: start nothing now
            with self._lock:
                changed = self._look(watch)
                if changed:
                    self.record.save(self.record_file)

    def _look(self, watch: _Watch) -> bool:
        """Notice a death, or start the restart once its backoff is over. True if the record changed."""
        if watch.starting:
            return False
        now = time.monotonic()
        pid = watch.service.pid()
        if pid is not None:
            if pid != watch.pid:  # first seen, or started by someone else (a second `up`)
                watch.pid, watch.since, watch.due = pid, now, None
                if watch.entry.next_restart:
                    watch.entry.next_restart = None
                    return True
            return False
        name = watch.service.name
        if watch.pid is None and watch.since is None:  # not running when we began: start it, no backoff
            log.info("%s is not running: starting it", name)
            self._start(watch, counts=False)
            return False
        if watch.due is None:
            ran_for = None if watch.since is None else now - watch.since
            delay = watch.backoff.delay(ran_for)
            watch.due = now + delay
            watch.entry.last_exit = _how_it_ended(watch.pid)
            watch.entry.next_restart = now_iso(delay)
            log.warning("%s (pid %s) is gone (%s, %s): restarting in %.0f s", name, watch.pid,
                        watch.entry.last_exit, "never seen running" if ran_for is None else
                        f"up {ran_for:.0f} s or more", delay)
            watch.pid = None
            return True
        if now >= watch.due:
            self._start(watch, counts=True)
        return False

    def _start(self, watch: _Watch, *, counts: bool) -> None:
        watch.starting = True
        thread = threading.Thread(target=self._run_start, args=(watch, counts), name=f"start-{watch.service.name}",
                                  daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run_start(self, watch: _Watch, counts: bool) -> None:
        name = watch.service.name
        try:
            launched = watch.service.start()
            error = None
        except Exception as exc:  # a port taken, Java missing, …: try again later, longer
            launched, error = False, (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        with self._lock:
            now = time.monotonic()
            watch.starting = False
            if error is not None:
                delay = watch.backoff.delay(0.0)
                watch.due, watch.since = now + delay, now
                watch.entry.last_error, watch.entry.next_restart = error, now_iso(delay)
                log.error("%s could not be started (%s): next try in %.0f s", name, error, delay)
            else:
                watch.pid, watch.since, watch.due = watch.service.pid(), now, None
                watch.entry.next_restart, watch.entry.last_error = None, None
                if launched and counts:
                    watch.entry.restarts += 1
                    watch.entry.last_restart = now_iso()
                    log.warning("%s restarted (pid %s): restart %d", name, watch.pid, watch.entry.restarts)
                elif launched:
                    log.info("%s started (pid %s)", name, watch.pid)
            self.record.save(self.record_file)


def _how_it_ended(pid: int | None) -> str:
    """The exit of a process we started ourselves (and can reap); 'exited' when it was not our child."""
    if pid is None:
        return "exited"
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return "exited"
    if reaped == 0:
        return "exited"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit status {os.WEXITSTATUS(status)}"
