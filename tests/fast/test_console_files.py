"""How the API serves the built console (app/console.py): files, the router's paths, compression, caching."""

from __future__ import annotations

import gzip
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.console import router


def _client(dist: Path) -> TestClient:
    app = FastAPI()
    app.state.settings = SimpleNamespace(console_dist=dist)
    app.include_router(router)
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>", encoding="utf-8")
    script = b"console.log('seat');" * 50
    (tmp_path / "assets" / "seat-abc123.js").write_bytes(script)
    (tmp_path / "assets" / "seat-abc123.js.gz").write_bytes(gzip.compress(script))
    return tmp_path


def test_a_path_of_the_console_router_gets_the_page(dist: Path) -> None:
    response = _client(dist).get("/console/orders/4101-20261203-000001")
    assert response.status_code == 200 and "console" in response.text
    assert response.headers["cache-control"] == "no-cache"


def test_a_hashed_script_is_sent_compressed_and_cached_for_a_year(dist: Path) -> None:
    response = _client(dist).get("/console/assets/seat-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert response.content.startswith(b"console.log")  # the client decompressed it


def test_a_client_without_gzip_gets_the_plain_file(dist: Path) -> None:
    response = _client(dist).get("/console/assets/seat-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers and response.content.startswith(b"console.log")


def test_a_missing_asset_is_a_404_not_the_page(dist: Path) -> None:
    assert _client(dist).get("/console/assets/gone.js").status_code == 404


def test_a_path_outside_the_build_is_not_served(dist: Path) -> None:
    (dist.parent / "secret.txt").write_text("no")
    response = _client(dist).get("/console/..%2Fsecret.txt")
    assert response.text != "no"


def test_without_a_build_the_console_says_how_to_make_one(tmp_path: Path) -> None:
    response = _client(tmp_path / "none").get("/console/")
    assert response.status_code == 503 and "hotline console build" in response.text


def test_the_root_sends_a_browser_to_the_console(dist: Path) -> None:
    response = _client(dist).get("/")
    assert response.status_code == 302 and response.headers["location"] == "/console/"
