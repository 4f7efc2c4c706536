"""Settings: environment over the config file over the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for key in list(os.environ):
        if key.startswith("HOTLINE_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_unset_services_fall_back_to_the_embedded_ones(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    settings = Settings()
    assert settings.embedded_postgres and settings.embedded_nats and settings.embedded_keycloak
    assert settings.postgres_url == "postgresql://hotline@127.0.0.1:54329/hotline"
    assert settings.effective_nats_url == "nats://127.0.0.1:4229"
    assert settings.home == tmp_path / ".hotline"


def test_the_config_file_is_read_and_the_environment_wins(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "platform.toml"
    config.write_text('database_url = "postgresql+asyncpg://u@db:5432/hl"\napi_port = 9001\nnats_port = 4300\n')
    clean_env.setenv("HOTLINE_CONFIG", str(config))
    clean_env.setenv("HOTLINE_API_PORT", "9002")
    settings = Settings()
    assert settings.postgres_url == settings.database_url == "postgresql://u@db:5432/hl"
    assert settings.async_database_url == "postgresql+asyncpg://u@db:5432/hl"
    assert not settings.embedded_postgres
    assert settings.nats_port == 4300
    assert settings.api_port == 9002


def test_a_database_url_that_is_not_postgresql_is_refused(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HOTLINE_DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(ValueError, match="only PostgreSQL"):
        Settings()


def test_the_embedded_nats_credentials_come_from_the_home(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from infra.nats_auth import embedded_credentials_file, ensure_credentials, identity

    settings = Settings(home=tmp_path)
    generated = ensure_credentials(embedded_credentials_file(settings))
    assert identity(settings, "worker") == generated["worker"]


def test_a_roles_password_given_by_setting_wins_over_the_credentials_file(clean_env: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    from infra.nats_auth import Identity, embedded_credentials_file, ensure_credentials, identity

    ensure_credentials(embedded_credentials_file(Settings(home=tmp_path)))
    clean_env.setenv("HOTLINE_HOME", str(tmp_path))
    clean_env.setenv("HOTLINE_NATS_WORKER_USER", "henan-worker")
    clean_env.setenv("HOTLINE_NATS_WORKER_PASSWORD", "from-the-secret")
    assert identity(Settings(), "worker") == Identity("henan-worker", "from-the-secret")


def test_a_nats_given_by_url_takes_no_credentials_from_the_home(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from infra.nats_auth import embedded_credentials_file, ensure_credentials, identity

    ensure_credentials(embedded_credentials_file(Settings(home=tmp_path)))
    external = Settings(home=tmp_path, nats_url="nats://nats.internal:4222")
    assert identity(external, "worker") is None
    given = external.model_copy(update={"nats_credentials_file": embedded_credentials_file(external)})
    assert identity(given, "worker") is not None


def test_nats_passwords_reach_child_processes_but_not_the_settings_repr(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(nats_api_password="s3cret-api")
    assert settings.as_env()["HOTLINE_NATS_API_PASSWORD"] == "s3cret-api"
    assert "s3cret-api" not in repr(settings)
