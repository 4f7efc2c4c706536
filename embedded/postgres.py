"""Embedded PostgreSQL: the binaries of the ``pgserver`` package, run by us on loopback TCP.

We do not use ``pgserver.PostgresServer`` itself: it listens on a Unix socket only and stops
the server when the Python process exits, while ``hotline up --detach`` needs a server that
outlives the command and that asyncpg reaches over TCP.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from embedded.base import Service
from embedded.process import ServiceError, require_free_port
from infra.settings import Settings

# PostgreSQL refuses to run as root; as root we run it as this system user.
SYSTEM_USER = "hotline-pg"


def pg_bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError("the pgserver package is not installed: run `make install` (or pip install pgserver)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class Postgres(Service):
    name = "postgres"
    start_timeout = 60.0

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.data_dir = self.dir / "data"
        self.socket_dir = self.dir / "run"

    @property
    def embedded(self) -> bool:
        return self.settings.embedded_postgres

    @property
    def url(self) -> str:
        return self.settings.postgres_url

    def pid(self) -> int | None:
        # postmaster.pid is the server's own pid file: trust it over ours.
        from embedded.process import read_pid

        return read_pid(self.data_dir / "postmaster.pid")

    def healthy(self) -> bool:
        try:
            with psycopg.connect(self._admin_url(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _launch(self) -> None:
        require_free_port(self.settings.bind_host, self.settings.pg_port, "PostgreSQL", "HOTLINE_PG_PORT")
        user = self._system_user()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(user)
        self._write_conf()
        self._chown(user)
        cmd = [str(pg_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w",
               "-t", "60", "start"]
        result = subprocess.run(cmd, capture_output=True, text=True, user=user, cwd=self.dir)
        if result.returncode != 0:
            raise ServiceError(f"PostgreSQL failed to start: {result.stderr.strip()}" + self._log_tail())

    def stop(self) -> bool:
        if self.pid() is None:
            return False
        subprocess.run(
            [str(pg_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            capture_output=True, user=self._system_user(), cwd=self.dir,
        )
        return True

    def ensure_database(self) -> None:
        """Create the platform's database on the embedded server if it is missing."""
        dbname = urlsplit(self.url).path.lstrip("/") or "hotline"
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')

    # ---- internals --------------------------------------------------------------------------

    def _admin_url(self) -> str:
        parts = urlsplit(self.url)
        return parts._replace(path="/postgres").geturl()

    def _system_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            SYSTEM_USER], check=True, capture_output=True)
        # The server process must traverse to its data directory and its binaries.
        for path in (self.dir, pg_bin_dir()):
            _make_traversable(path)
        return SYSTEM_USER

    def _chown(self, user: str | None) -> None:
        if user is None:
            return
        entry = pwd.getpwnam(user)
        for path in (self.dir, self.socket_dir, self.data_dir):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.log_file.exists():
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def _initdb(self, user: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._chown(user)
        db_user = urlsplit(self.url).username or "hotline"
        cmd = [str(pg_bin_dir() / "initdb"), "-D", str(self.data_dir), "-U", db_user, "--auth=trust",
               "--encoding=UTF8", "--locale=C", "--no-instructions"]
        result = subprocess.run(cmd, capture_output=True, text=True, user=user, cwd=self.dir)
        if result.returncode != 0:
            raise ServiceError(f"initdb failed: {result.stderr.strip()}")
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\ninclude_if_exists = 'hotline.conf'\n")

    def _write_conf(self) -> None:
        s = self.settings
        fsync = "on" if s.pg_fsync else "off"
        # max_locks_per_transaction: the default 64 fails whole-database dumps over ~2,800 schemas.
        (self.data_dir / "hotline.conf").write_text(
            "# written by `hotline up` on every start; edit the settings, not this file\n"
            f"listen_addresses = '{s.bind_host}'\n"
            f"port = {s.pg_port}\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "max_connections = 200\n"
            "max_locks_per_transaction = 1024\n"
            "shared_buffers = '256MB'\n"
            # Local SSD, not spinning disks (the default 4 assumes them): otherwise the planner reads a million
            # orders in sequence rather than look up a unit's 10,000 by primary key (its inbox: 297 → 81 ms).
            "random_page_cost = 1.1\n"
            f"fsync = {fsync}\n"
            f"synchronous_commit = {fsync}\n"
            f"full_page_writes = {fsync}\n"
            "log_min_duration_statement = 2000\n"
            # After a crash, one syncfs() of the file system instead of an fsync() per file: with Henan's
            # 2,786 schemas the per-file walk held the restarted server 30 s before it even began recovery.
            "recovery_init_sync_method = syncfs\n"
        )


def _make_traversable(path: Path) -> None:
    """chmod o+x on every parent directory, like pgserver does when run as root."""
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o011)
        except OSError:
            pass
