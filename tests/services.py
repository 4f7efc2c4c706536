"""Starting the real services for tests: containers when Docker answers, local processes otherwise."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from embedded.keycloak import Keycloak
from embedded.nats import Nats
from embedded.postgres import Postgres
from embedded.process import free_port
from federation.permissions import EVERY_NAMESPACE, authorization
from infra.nats_auth import ensure_credentials
from infra.settings import Settings, get_settings
from sso.credentials import admin_credentials
from sso.credentials import ensure_credentials as ensure_keycloak_credentials
from sso.realm import LOGIN_THEME, THEME_DIR


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:
        return False


@dataclass
class ServiceSet:
    settings: Settings
    env: dict[str, str]
    start_keycloak: Callable[[], str]
    stoppers: list[Callable[[], object]] = field(default_factory=list)
    keycloak_url: str | None = None

    @property
    def admin_url(self) -> str:
        return urlsplit(self.settings.postgres_url)._replace(path="/postgres").geturl()

    def settings_for(self, database: str) -> Settings:
        url = urlsplit(self.settings.postgres_url)._replace(path=f"/{database}").geturl()
        return self.settings.model_copy(update={"database_url": url})

    def ensure_keycloak(self) -> str:
        if self.keycloak_url is None:
            self.keycloak_url = self.start_keycloak().rstrip("/")
            if self.keycloak_url != self.settings.effective_keycloak_url:  # a container: its own address
                self.settings = self.settings.model_copy(update={"keycloak_url": self.keycloak_url})
                self.env["HOTLINE_KEYCLOAK_URL"] = self.keycloak_url
                os.environ["HOTLINE_KEYCLOAK_URL"] = self.keycloak_url
                get_settings.cache_clear()
        return self.keycloak_url

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            with contextlib.suppress(Exception):  # tearing down: keep stopping the rest
                stop()


def start_services(home: Path) -> ServiceSet:
    return _containers(home) if docker_available() else _local(home)


def _local(home: Path) -> ServiceSet:
    host = "127.0.0.1"
    settings = Settings(
        home=home, pg_port=free_port(host), nats_port=free_port(host), nats_monitor_port=free_port(host),
        keycloak_port=free_port(host), keycloak_management_port=free_port(host), api_port=free_port(host),
        pg_fsync=False, migrate_workers=2,
    )
    # Each test module takes a namespace of its own on this one server: its workers are admitted to every
    # namespace (test_nats_security.py holds a deployment's server to its own).
    pg, nats = Postgres(settings), Nats(settings, grants=[EVERY_NAMESPACE])
    stoppers: list[Callable[[], object]] = []
    for svc in (pg, nats):
        svc.start()
        stoppers.append(svc.stop)
    pg.wait_healthy()
    pg.ensure_database()
    nats.wait_healthy()
    service_set = ServiceSet(settings, settings.as_env(), lambda: "", stoppers)

    def start_keycloak() -> str:
        kc = Keycloak(settings)
        kc.start()
        service_set.stoppers.append(kc.stop)
        kc.wait_healthy()
        return kc.url

    service_set.start_keycloak = start_keycloak
    return service_set


def _containers(home: Path) -> ServiceSet:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.keycloak import KeycloakContainer
    from testcontainers.postgres import PostgresContainer

    postgres = PostgresContainer("postgres:16", username="hotline", password="hotline", dbname="hotline")
    postgres.with_command("postgres -c max_locks_per_transaction=1024 -c fsync=off -c max_connections=200")
    postgres.start()
    # Users and permissions as the embedded NATS has them, every namespace admitted (as in _local).
    credentials = home / "nats" / "credentials.json"
    users = {role: (found.user, json.dumps(found.password)) for role, found in ensure_credentials(credentials).items()}
    conf = home / "nats" / "nats.conf"
    conf.write_text("jetstream { store_dir: /data }\n" + authorization(users, [EVERY_NAMESPACE]))
    nats = (DockerContainer("nats:2.10").with_command("-js -c /etc/nats/hotline.conf")
            .with_volume_mapping(str(conf), "/etc/nats/hotline.conf", "ro").with_exposed_ports(4222))
    nats.start()
    wait_for_logs(nats, "Server is ready")
    pg_url = (f"postgresql://hotline:hotline@{postgres.get_container_host_ip()}:"
              f"{postgres.get_exposed_port(5432)}/hotline")
    nats_url = f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}"
    # Keycloak's admin and the API's client secret generated as the embedded Keycloak's are (never admin/admin).
    keycloak_credentials = ensure_keycloak_credentials(home / "keycloak" / "credentials.json")
    settings = Settings(home=home, database_url=pg_url, nats_url=nats_url, nats_credentials_file=credentials,
                        keycloak_credentials_file=keycloak_credentials, api_port=free_port(), migrate_workers=2)
    service_set = ServiceSet(settings, settings.as_env(), lambda: "", [postgres.stop, nats.stop])

    def start_keycloak() -> str:
        user, password = admin_credentials(service_set.settings)
        container = KeycloakContainer("quay.io/keycloak/keycloak:26.4", username=user, password=password)
        # The hotline's sign-in theme, mounted as a Keycloak by URL mounts it (README).
        container.with_volume_mapping(str(THEME_DIR / LOGIN_THEME), f"/opt/keycloak/themes/{LOGIN_THEME}", "ro")
        container.start()
        service_set.stoppers.append(container.stop)
        return container.get_url()

    service_set.start_keycloak = start_keycloak
    return service_set
