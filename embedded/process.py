"""Process plumbing shared by the embedded services: pid files, ports, detached spawning, stopping."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil


class ServiceError(RuntimeError):
    """A service could not be brought up; the message says what to do."""


def port_in_use(host: str, port: int) -> bool:
    """True when something already accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def port_owner(port: int) -> str:
    """A short description of the process listening on a port, if we can see it."""
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                proc = psutil.Process(conn.pid)
                return f"pid {conn.pid} ({' '.join(proc.cmdline()[:3])})"
    except (psutil.Error, OSError):
        pass
    return "another process"


def require_free_port(host: str, port: int, what: str, setting: str) -> None:
    """Raise a clear error when a port we want to bind is taken by a process that is not ours."""
    if port_in_use(host, port):
        raise ServiceError(
            f"{what} cannot start: port {port} on {host} is already in use by {port_owner(port)}. "
            f"Stop that process, or choose another port with {setting}."
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now, below Linux's ephemeral range (32768–60999): a port the OS hands out
    itself could be taken again by any process's next outgoing connection (Keycloak's JVM did)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise ServiceError("no free port found between 20000 and 32000")


def read_pid(pid_file: Path) -> int | None:
    """The pid in a pid file if that process is still alive."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.NoSuchProcess:
        return None
    return pid


def spawn_detached(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start a process in its own session (it outlives us), logging to a file; record its pid (unless the
    process writes its own pid file)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    if pid_file is not None:
        pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL what is left."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    group = pgid == pid
    _signal(pid, pgid, group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    _signal(pid, pgid, group, signal.SIGKILL)


def _signal(pid: int, pgid: int, group: bool, sig: int) -> None:
    try:
        if group:
            os.killpg(pgid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll check() until it is true or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
