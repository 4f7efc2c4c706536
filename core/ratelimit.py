"""A small in-process rate limiter (fixed windows per key).

Per process: with several API processes a client gets up to that many times the limit,
which still stops guessing a query code's phone number by brute force.
"""

from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, tuple[float, int]] = {}

    def allow(self, key: str) -> bool:
        """Count one hit for ``key``; False when it is over the limit in this window."""
        now = time.monotonic()
        start, count = self._hits.get(key, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        count += 1
        self._hits[key] = (start, count)
        if len(self._hits) > 100_000:
            self._hits = {k: v for k, v in self._hits.items() if now - v[0] < self.window_s}
        return count <= self.limit
