"""Counters in fixed windows, shared by every API process: rows of ``public.rate_limits`` (UNLOGGED).

A hit is one atomic upsert per (key, window); the windows are cut on the database's clock, so every process
agrees where a window starts. Hits and reads of other counters go in one statement: one round trip, outside
any transaction (autocommit).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_WINDOW = "to_timestamp(floor(extract(epoch FROM now()) / {w}) * {w})"
_TOUCH = text(f"""
    WITH q AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:windows AS integer[]), CAST(:hit AS boolean[]))
               WITH ORDINALITY AS q(key, w, hit, i)),
    hit AS (
      INSERT INTO public.rate_limits AS r (key, window_start, hits, last_at, expires_at)
      SELECT key, {_WINDOW.format(w="w")}, 1, now(), {_WINDOW.format(w="w")} + make_interval(secs => w)
      FROM q WHERE hit
      ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1, last_at = excluded.last_at
      RETURNING key, hits, last_at, expires_at)
    SELECT q.i, coalesce(h.hits, r.hits, 0),
           extract(epoch FROM coalesce(h.expires_at, r.expires_at) - now())::float8,
           extract(epoch FROM now() - coalesce(h.last_at, r.last_at))::float8
    FROM q LEFT JOIN hit h ON q.hit AND h.key = q.key
    LEFT JOIN public.rate_limits r ON NOT q.hit AND r.key = q.key AND r.window_start = {_WINDOW.format(w="q.w")}
    ORDER BY q.i""")
_PRUNE = text("DELETE FROM public.rate_limits WHERE expires_at < now()")


@dataclass(frozen=True)
class Count:
    hits: int
    ends_in_s: float  # until this window ends (0 when the counter has no hit in it)
    last_hit_s_ago: float | None


class SharedCounters:
    prune_every_s = 60.0

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pruned = time.monotonic()

    async def touch(self, hit: Sequence[tuple[str, int]] = (), read: Sequence[tuple[str, int]] = ()) -> list[Count]:
        """Count one hit on each (key, window seconds) of ``hit``, read those of ``read``: their counts, in order.
        Keys must be distinct."""
        items = [(k, w, True) for k, w in hit] + [(k, w, False) for k, w in read]
        async with self.engine.connect() as conn:
            rows = (await conn.execute(_TOUCH, {"keys": [i[0] for i in items], "windows": [i[1] for i in items],
                                                "hit": [i[2] for i in items]})).all()
            if time.monotonic() - self._pruned > self.prune_every_s:
                self._pruned = time.monotonic()
                await conn.execute(_PRUNE)
        return [Count(hits, max(ends or 0.0, 0.0), ago) for _, hits, ends, ago in rows]
