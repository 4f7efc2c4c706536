"""The API server (uvicorn) as a process that `hotline up` starts and `hotline down` stops."""

from __future__ import annotations

import os
import sys

import httpx

from embedded.base import CommandProcess, Service
from embedded.process import require_free_port, spawn_detached


class ApiServer(Service):
    name = "api"
    start_timeout = 60.0

    @property
    def embedded(self) -> bool:
        return True

    @property
    def url(self) -> str:
        return f"http://{self.settings.bind_host}:{self.settings.api_port}"

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _launch(self) -> None:
        s = self.settings
        require_free_port(s.bind_host, s.api_port, "The API", "HOTLINE_API_PORT")
        argv = [sys.executable, "-m", "uvicorn", "app.factory:create_app", "--factory",
                "--host", s.bind_host, "--port", str(s.api_port), "--no-access-log",
                # The client's address is worked out behind HOTLINE_TRUSTED_PROXIES (infra/client_address.py).
                "--no-proxy-headers"]
        spawn_detached(argv, log_file=self.log_file, pid_file=self.pid_file, env={**os.environ, **s.as_env()})


class WorkerProcess(CommandProcess):
    """The federation worker (`hotline worker`) as a process of its own."""

    name = "worker"
    command = "worker"
    start_timeout = 30.0

    @property
    def url(self) -> str:
        return self.settings.effective_nats_url

    def _launch(self) -> None:
        self._spawn(self.pid_file)
