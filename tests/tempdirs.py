"""Directories a test keeps to itself."""

from __future__ import annotations

import tempfile
from pathlib import Path


def own_dir(prefix: str) -> Path:
    """A directory outside pytest's: another pytest session beside this one may prune pytest's older temporary
    directories while this one runs, and these hold a live server's data and pid files. The caller removes it."""
    return Path(tempfile.mkdtemp(prefix=f"hotline-{prefix}-"))
