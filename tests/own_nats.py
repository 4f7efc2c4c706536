"""A NATS of the test module's own, configured as a deployment's, so a test may stop and start it.

A test module takes it by importing ``own_nats`` and ``tree_on_own_nats`` (pytest finds the fixtures there):
its ``tree`` is then the module's database and API on that NATS, and its workers connect to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from embedded.nats import Nats
from embedded.process import free_port
from infra.nats_auth import embedded_credentials_file
from infra.settings import Settings, get_settings


@pytest.fixture(scope="module", name="nats_server")
def own_nats(tmp_path_factory: pytest.TempPathFactory, module_db: Settings) -> Iterator[Nats]:
    """A NATS configured as a deployment's own: its workers may touch the module's namespace alone."""
    settings = Settings(home=tmp_path_factory.mktemp("faults-nats"), nats_port=free_port(),
                        nats_monitor_port=free_port(), nats_prefix=module_db.nats_prefix)
    server = Nats(settings)
    server.start()
    server.wait_healthy()
    yield server
    server.stop()


@pytest.fixture(scope="module", name="tree")
def tree_on_own_nats(tree: Settings, nats_server: Nats) -> Iterator[Settings]:
    """The module's database and API on this module's own NATS, by URL and with its credentials file (the worker
    reads both from the environment)."""
    given = {"HOTLINE_NATS_URL": nats_server.url,
             "HOTLINE_NATS_CREDENTIALS_FILE": str(embedded_credentials_file(nats_server.settings))}
    saved = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    get_settings.cache_clear()
    yield tree.model_copy(update={"nats_url": nats_server.url,
                                  "nats_credentials_file": embedded_credentials_file(nats_server.settings)})
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
