"""`hotline up / status / down` as a newcomer runs them: real processes, a home of their own."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from embedded.process import free_port

HOTLINE = str(Path(sys.executable).parent / "hotline")


def isolated_env(home: Path) -> dict[str, str]:
    """The environment of a platform of its own: this home, free ports, none of the session's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    ports = {name: str(free_port()) for name in ("PG_PORT", "NATS_PORT", "NATS_MONITOR_PORT", "KEYCLOAK_PORT",
                                                  "KEYCLOAK_MANAGEMENT_PORT", "API_PORT")}
    env.update({f"HOTLINE_{k}": v for k, v in ports.items()})
    env.update({
        "HOTLINE_HOME": str(home),
        "HOTLINE_PG_FSYNC": "false",
        # The demo province without towns keeps this test short; `up` loads them by default.
        "HOTLINE_DEMO_TOWN_CITIES": json.dumps([]),
    })
    return env


@pytest.fixture
def home_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = isolated_env(tmp_path / "home")
    yield env
    subprocess.run([HOTLINE, "down"], env=env, capture_output=True, timeout=120)


def hotline(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOTLINE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_up_serves_the_demo_province_and_ctrl_c_stops_everything(home_env: dict[str, str]) -> None:
    proc = subprocess.Popen([HOTLINE, "up"], env=home_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    output = _read_until(proc, "platform is up", timeout=300)
    for service in ("postgres", "nats", "keycloak", "worker", "api"):
        assert f"{service}: ready" in output
    assert hotline(home_env, "status").returncode == 0

    api = f"http://127.0.0.1:{home_env['HOTLINE_API_PORT']}"
    assert httpx.get(f"{api}/readyz", timeout=5).status_code == 200
    supervisor = _demo_token(home_env, "henan-supervisor")
    province = httpx.get(f"{api}/api/v1/tenants/41", timeout=5, headers=supervisor).json()
    assert province["name"] == "河南省" and len(province["children"]) == 18
    assert httpx.get(f"{api}/api/v1/tenants/41", timeout=5).status_code == 401

    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    for service in ("api", "worker", "keycloak", "nats", "postgres"):
        assert f"{service}: stopped" in rest
    assert hotline(home_env, "status").returncode == 1


def test_up_detach_keeps_data_across_restarts_and_a_second_up_is_a_no_op(home_env: dict[str, str]) -> None:
    first = hotline(home_env, "up", "--detach")
    assert first.returncode == 0, first.stdout + first.stderr
    again = hotline(home_env, "up", "--detach")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already running") == 6  # the supervisor too

    down = hotline(home_env, "down")
    assert down.returncode == 0
    assert hotline(home_env, "status").returncode == 1

    restarted = hotline(home_env, "up", "--detach")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    # Nothing changed: neither the database nor Keycloak is gone through again (up_stamps.py).
    assert "migrations and demo province: as the last `up` left them" in restarted.stdout
    assert "keycloak: realm, groups and demo users as the last `up` left them" in restarted.stdout
    api = f"http://127.0.0.1:{home_env['HOTLINE_API_PORT']}"
    operator = _demo_token(home_env, "zz-operator")
    assert httpx.get(f"{api}/api/v1/tenants/4101", timeout=5, headers=operator).json()["name"] == "郑州市"


def test_up_syncs_keycloak_again_when_the_tree_or_a_unit_changed_and_skips_it_otherwise(
        home_env: dict[str, str]) -> None:
    assert hotline(home_env, "up", "--detach", "--no-demo").returncode == 0
    imported = hotline(home_env, "tenants", "import", "--province", "41", "--city", "4190")  # 19 tenants
    assert imported.returncode == 0, imported.stdout + imported.stderr

    tree_changed = hotline(home_env, "up", "--detach", "--no-demo")
    assert "keycloak groups: 19 created" in tree_changed.stdout, tree_changed.stdout
    unchanged = hotline(home_env, "up", "--detach", "--no-demo")
    assert "keycloak: realm, groups and demo users as the last `up` left them" in unchanged.stdout

    url = f"postgresql://hotline@127.0.0.1:{home_env['HOTLINE_PG_PORT']}/hotline"
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO t_419001.units (code, name, kind) VALUES ('water', '济源水利局', 'department')")
    unit_added = hotline(home_env, "up", "--detach", "--no-demo")
    assert "keycloak groups: 1 created" in unit_added.stdout, unit_added.stdout


def _demo_token(env: dict[str, str], username: str) -> dict[str, str]:
    from sso.demo import DEMO_PASSWORD

    issuer = f"http://127.0.0.1:{env['HOTLINE_KEYCLOAK_PORT']}/realms/hotline"
    response = httpx.post(f"{issuer}/protocol/openid-connect/token", timeout=10, data={
        "client_id": "hotline-cli", "grant_type": "password", "username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    proc.kill()
    raise AssertionError(f"no {marker!r} in time; output:\n" + "".join(seen))


def test_a_port_in_use_is_reported_and_nothing_is_left_running(home_env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(home_env["HOTLINE_NATS_PORT"])))
        squatter.listen()
        result = hotline(home_env, "up", "--detach", "--no-demo")
    assert result.returncode == 1
    assert f"port {home_env['HOTLINE_NATS_PORT']}" in result.stderr and "HOTLINE_NATS_PORT" in result.stderr
    assert "Traceback" not in result.stderr
    assert hotline(home_env, "status").returncode == 1
    assert "postgres" not in hotline(home_env, "down").stdout


def test_missing_java_is_a_clear_message(home_env: dict[str, str]) -> None:
    env = dict(home_env, PATH=str(Path(sys.executable).parent))
    result = hotline(env, "up", "--detach", "--no-demo")
    assert result.returncode == 1
    assert "Java 17" in result.stderr and "apt-get install" in result.stderr
