"""How long the watchdog waits before it restarts a service that died: 1 s, 2 s, 4 s … capped, and 1 s again
once a restart has held.

A process that dies as soon as it starts (its port taken, its database gone) would otherwise be restarted in
a tight loop, filling its log and taking one of the machine's two cores; one that ran a good while and then
died is restarted at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIRST_S = 1.0
CAP_S = 60.0
# A process that ran this long before it died counts as having held: its next restart waits FIRST_S again.
STABLE_S = 60.0


@dataclass
class Backoff:
    first_s: float = FIRST_S
    cap_s: float = CAP_S
    stable_s: float = STABLE_S
    _next_s: float = field(init=False)

    def __post_init__(self) -> None:
        self._next_s = self.first_s

    def delay(self, ran_for_s: float | None) -> float:
        """The wait before restarting a process that died after running ``ran_for_s`` seconds (None: it never
        started, or we do not know since when it ran); each call without a long enough run doubles the next."""
        if ran_for_s is not None and ran_for_s >= self.stable_s:
            self._next_s = self.first_s
        delay = self._next_s
        self._next_s = min(self._next_s * 2, self.cap_s)
        return delay
