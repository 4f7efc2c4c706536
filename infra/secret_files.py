"""Secrets generated once into the home: the NATS identities, Keycloak's admin and the API's client secret."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def write_once(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` unless it exists: once, never overwritten (the services and the running
    processes already hold what it says). Readable by the owner only, from the first byte."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
        try:
            # A link fails if the file appeared meanwhile (two starts at once): the first one's stays.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    path.chmod(0o600)
