"""Revoked tokens: a disabled person's access tokens are refused within about a second, not when they expire.

Access tokens are validated locally (sso/tokens.py), so disabling someone in Keycloak alone leaves their token
working until it expires. Disabling therefore also records ``(subject, not_before)`` in the shared schema and
drops the person's console sessions; every API process holds the recent records in memory, reads them again at
most every ``CHECK_EVERY_S`` (one indexed query), and refuses a token of that subject issued at or before
``not_before``. Per request that is a clock read and a dictionary lookup.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# How often a process reads the revocations again: the longest a revoked token keeps working in it.
CHECK_EVERY_S = 1.0
# Older records can match no live token (the realm's access tokens live two minutes): not read.
KEEP = "1 day"


def revoke(conn: Connection, subject: str, by: str) -> None:
    """Refuse the subject's tokens issued until now, and end its console sessions (in the caller's transaction)."""
    conn.execute(text(
        "INSERT INTO public.token_revocations (subject, not_before, revoked_by) VALUES (:s, clock_timestamp(), :b) "
        "ON CONFLICT (subject) DO UPDATE SET not_before = excluded.not_before, revoked_by = excluded.revoked_by"),
        {"s": subject, "b": by})
    conn.execute(text("DELETE FROM public.web_sessions WHERE subject = :s"), {"s": subject})


class RevocationList:
    """The recent revocations, as one process sees them (read again at most every CHECK_EVERY_S)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._not_before: dict[str, float] = {}
        self._checked = float("-inf")

    async def revoked(self, subject: str, issued_at: float) -> bool:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_S:
            # Marked first: requests arriving meanwhile use the list as it is instead of querying too.
            self._checked = now
            try:
                await self._refresh()
            except BaseException:
                self._checked = float("-inf")
                raise
        not_before = self._not_before.get(subject)
        return not_before is not None and issued_at <= not_before

    async def _refresh(self) -> None:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT subject, extract(epoch FROM not_before) FROM public.token_revocations "
                f"WHERE not_before > now() - interval '{KEEP}'"))).all()
        self._not_before = {subject: float(epoch) for subject, epoch in rows}
