"""The supervisor `hotline up` leaves running: real `hotline up --detach`, real processes killed with SIGKILL.

The module brings one platform up (no demo province: Keycloak's start is the long part) and its tests run
in order against it; the last one takes it down. Times are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from embedded.backoff import Backoff
from embedded.base import Service
from embedded.process import read_pid, spawn_detached
from embedded.watchdog import Watchdog
from infra.settings import Settings
from tests.test_up import hotline, isolated_env

HOTLINE = str(Path(sys.executable).parent / "hotline")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`hotline up --detach` in a home of its own; `hotline down` at the end."""
    env = isolated_env(tmp_path_factory.mktemp("supervised") / "home")
    up = hotline(env, "up", "--detach", "--no-demo")
    assert up.returncode == 0, up.stdout + up.stderr
    yield env
    subprocess.run([HOTLINE, "down"], env=env, capture_output=True, timeout=120)


def _pid(env: dict[str, str], service: str) -> int | None:
    return read_pid(Path(env["HOTLINE_HOME"]) / service / "pid")


def _eventually(check: Callable[[], object], timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def _status_row(env: dict[str, str], service: str) -> list[str]:
    """The cells of a service's row in `hotline status` (a wide terminal, so no cell is cut)."""
    result = subprocess.run([HOTLINE, "status"], env={**env, "COLUMNS": "250"}, capture_output=True, text=True,
                            timeout=60)
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == service:
            return cells
    raise AssertionError(f"no row for {service} in:\n{result.stdout}")


def _supervisor_log(env: dict[str, str]) -> str:
    return (Path(env["HOTLINE_HOME"]) / "supervisor" / "log").read_text()


def test_a_killed_worker_is_replaced_and_status_counts_the_restart(platform: dict[str, str]) -> None:
    killed = _pid(platform, "worker")
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    started = time.monotonic()
    replacement = _eventually(lambda: (pid := _pid(platform, "worker")) not in (None, killed) and pid)
    print(f"\nworker replaced after {time.monotonic() - started:.1f} s")
    row = _status_row(platform, "worker")
    assert row[3] == str(replacement) and row[4] == "ready"
    assert row[5] == "1" and row[6] != "-"  # restarts, last restart
    log = _supervisor_log(platform)
    assert f"worker (pid {killed}) is gone" in log and f"worker restarted (pid {replacement}): restart 1" in log


def test_status_shows_the_supervisor_running(platform: dict[str, str]) -> None:
    row = _status_row(platform, "supervisor")
    assert row[3] == str(_pid(platform, "supervisor")) and row[4] == "running"
    assert hotline(platform, "status").returncode == 0


def test_a_second_up_leaves_the_running_supervisor_alone(platform: dict[str, str]) -> None:
    before = _pid(platform, "supervisor")
    again = hotline(platform, "up", "--detach", "--no-demo")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"supervisor: already running (pid {before})" in again.stdout
    assert _pid(platform, "supervisor") == before


def test_status_fails_and_says_so_when_no_supervisor_runs(platform: dict[str, str]) -> None:
    supervisor = _pid(platform, "supervisor")
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    _eventually(lambda: _pid(platform, "supervisor") is None)
    status = hotline(platform, "status")
    assert status.returncode == 1
    assert "supervisor: not running" in status.stdout
    restarted = hotline(platform, "up", "--detach", "--no-demo")  # for the tests after this one
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr


def test_down_stops_the_supervisor_first_and_nothing_is_restarted_after(platform: dict[str, str]) -> None:
    supervisor = _pid(platform, "supervisor")
    down = hotline(platform, "down")
    assert down.returncode == 0, down.stderr
    stopped = [line.split(":")[0] for line in down.stdout.splitlines() if line.endswith(": stopped")]
    assert stopped[0] == "supervisor" and {"worker", "api", "nats", "postgres", "keycloak"} <= set(stopped)
    time.sleep(3)  # longer than the first restart's backoff: a supervisor left running would have acted by now
    assert all(_pid(platform, name) is None for name in ("supervisor", "worker", "api", "nats", "keycloak"))
    assert supervisor is not None and not _alive(supervisor)
    log = _supervisor_log(platform)
    last_run = log[log.rindex(f"supervisor (pid {supervisor}) watching"):]
    assert "restarted" not in last_run.split("stopped: nothing is restarted any more")[-1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ---- backoff, on a process that keeps dying (no platform needed) -----------------------------------------


class ShortLived(Service):
    """A service whose process exits a moment after it starts, every time."""

    name = "short-lived"

    @property
    def embedded(self) -> bool:
        return True

    @property
    def url(self) -> str:
        return "-"

    def healthy(self) -> bool:
        return self.pid() is not None

    def _launch(self) -> None:
        spawn_detached([sys.executable, "-c", "import time; time.sleep(0.2)"], log_file=self.log_file,
                       pid_file=self.pid_file)


def test_a_service_that_keeps_dying_is_restarted_after_growing_delays(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    service = ShortLived(Settings(home=tmp_path))
    service.start()
    watchdog = Watchdog([service], tmp_path / "state.json")
    stop = threading.Event()
    runner = threading.Thread(target=watchdog.run, args=(stop,))
    with caplog.at_level(logging.INFO, logger="hotline.supervisor"):
        runner.start()
        try:
            _eventually(lambda: watchdog.record.services["short-lived"].restarts >= 3, timeout=120)
        finally:
            stop.set()
            runner.join()
    delays = [line.rsplit("restarting in ", 1)[1] for line in caplog.messages if "restarting in" in line]
    assert delays[:3] == ["1 s", "2 s", "4 s"]


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_run_that_held() -> None:
    backoff = Backoff(first_s=1, cap_s=8, stable_s=60)
    assert [backoff.delay(0.5) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.delay(61) == 1
    assert backoff.delay(None) == 2
