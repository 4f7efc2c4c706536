"""A retrying loop's trouble in the log: one line when it starts failing, one when it works again.

The worker's loops try again every half second or so. Logging each failure wrote, with NATS or
PostgreSQL away, a warning (or a traceback) per loop and second, burying the one line that said what
happened and when. An ``Outage`` logs the first failure, counts the rest, and says how long it lasted and
how often it failed once the loop works again.
"""

from __future__ import annotations

import logging
import time


class Outage:
    def __init__(self, what: str, log: logging.Logger) -> None:
        self.what, self.log = what, log
        self.since: float | None = None
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self.since is not None

    def failed(self, reason: object) -> None:
        """One more failure; logged only if it is the first since the loop last worked."""
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning("%s failing: %s (logged once; trying again meanwhile)", self.what, reason)
        else:
            self.log.debug("%s still failing: %s", self.what, reason)

    def worked(self) -> None:
        """The loop did its work; logs the end of an outage, if there was one."""
        if self.since is None:
            return
        self.log.warning("%s working again after %.1f s (%d failed attempts)", self.what,
                         time.monotonic() - self.since, self.failures)
        self.since, self.failures = None, 0
