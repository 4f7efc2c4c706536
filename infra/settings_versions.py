"""A counter per kind of cached setting (``public.settings_versions``, migration s0023), so that every process's
cache of it is replaced within about a second of a change, whichever process made it.

A change raises the counter in its own transaction (``bump``); a cache asks for the counter at most once every
``CHECK_EVERY_S`` (``VersionWatch``) and reloads when it moved. One indexed read a second per process, against
reloading the settings themselves on every request.
"""

from __future__ import annotations

import time
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

CHECK_EVERY_S = 1.0


class CachedSetting(StrEnum):
    sla = "sla"  # time limits (办理时限), the rework limit (重办时限), the working-day calendar (节假日)
    categories = "categories"  # the taxonomy (诉求分类) and its extensions


async def bump(session: AsyncSession | AsyncConnection, name: CachedSetting) -> None:
    """Raise the counter of ``name`` in the caller's transaction: seen by every process once it commits."""
    await session.execute(text(
        "INSERT INTO public.settings_versions (name, version) VALUES (:n, 1) ON CONFLICT (name) DO UPDATE "
        "SET version = public.settings_versions.version + 1, changed_at = now()"), {"n": str(name)})


async def current(session: AsyncSession | AsyncConnection, name: CachedSetting) -> int:
    version = await session.scalar(text("SELECT version FROM public.settings_versions WHERE name = :n"),
                                   {"n": str(name)})
    return int(version or 0)


class VersionWatch:
    """Whether a cache of ``name`` is stale: its counter moved since ``seen`` (asked at most once a second)."""

    def __init__(self, name: CachedSetting, every_s: float = CHECK_EVERY_S) -> None:
        self.name = name
        self.every_s = every_s
        self.seen: int | None = None
        self._checked = 0.0

    async def moved(self, session: AsyncSession | AsyncConnection) -> bool:
        """True once when the counter moved since the last call that answered it (the first call: True)."""
        now = time.monotonic()
        if self.seen is not None and now - self._checked < self.every_s:
            return False
        version = await current(session, self.name)
        self._checked = now
        if version == self.seen:
            return False
        self.seen = version
        return True

    def forget(self) -> None:
        """Ask the counter on the next call (after this process's own change)."""
        self.seen = None
