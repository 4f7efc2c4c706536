"""The fast tier: the rules with a plain ``Actor`` and plain records, no HTTP, Keycloak, database or NATS.

``pytest -m fast`` (or ``pytest tests/fast``) runs them in seconds. Every test here is marked ``fast``; one that
asks for a service fixture of ``tests/conftest.py`` is refused at collection, so the tier stays without services.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
# The fixtures that start (or need) the session's real services.
SERVICES = frozenset({"services", "keycloak", "module_db", "tree", "worker", "app", "client", "make_client"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.fast)
            used = SERVICES.intersection(getattr(item, "fixturenames", ()))
            if used:
                raise pytest.UsageError(f"{item.nodeid} is in the fast tier but uses {', '.join(sorted(used))}")
