"""A short ack wait, and telling JetStream that a batch still being applied is being worked on.

JetStream hands a message to another consumer once its ack wait has passed without an ack. With the
default 30 s, a worker killed mid-batch held up those messages (and every step waiting on them) for half a
minute. The consumers' ack wait is ACK_WAIT_S instead, so a standby or a restarted worker gets them within
seconds. A batch can take longer than that (a tenant's transaction waiting on a lock, a cold cache after a
restart): once it has run PROGRESS_EVERY_S, each of its messages not yet acked or nak'ed is reported in
progress (``+WPI``, which starts its ack wait over) every PROGRESS_EVERY_S, so a long apply is never handed
to another worker while it is still under way. A batch done sooner costs nothing extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence

from nats.aio.msg import Msg

log = logging.getLogger(__name__)

ACK_WAIT_S = 4.0
# A quarter of the ack wait: three reports may be late (a busy event loop on two cores) before one is missed.
PROGRESS_EVERY_S = ACK_WAIT_S / 4


@contextlib.contextmanager
def reported_in_progress(messages: Sequence[Msg], every_s: float = PROGRESS_EVERY_S) -> Iterator[None]:
    """While the block runs: every ``every_s``, each of ``messages`` still unanswered is reported in progress.

    A timer, not a task: a batch done before the first report (nearly all of them) costs a timer set and
    cancelled, a few microseconds, where a task would cost tens (docs/benchmarks/dispatch.md: CPU per message).
    """
    reporter = _Reporter(messages, every_s)
    try:
        yield
    finally:
        reporter.stop()


class _Reporter:
    def __init__(self, messages: Sequence[Msg], every_s: float) -> None:
        self.messages, self.every_s = messages, every_s
        self.loop = asyncio.get_running_loop()
        self.timer: asyncio.TimerHandle | None = self.loop.call_later(every_s, self._due)
        self.told = False
        self.reports: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references to tasks

    def _due(self) -> None:
        waiting = [msg for msg in self.messages if not msg.is_acked]
        if not waiting:
            self.timer = None
            return
        report = self.loop.create_task(self._report(waiting))
        self.reports.add(report)
        report.add_done_callback(self.reports.discard)
        self.timer = self.loop.call_later(self.every_s, self._due)

    async def _report(self, waiting: list[Msg]) -> None:
        try:
            for msg in waiting:
                if not msg.is_acked:
                    await msg.in_progress()
        except Exception as exc:  # NATS away: the messages come again after their ack wait, as they would anyway
            if not self.told:
                log.info("could not report %d messages in progress: %s", len(waiting), exc)
                self.told = True

    def stop(self) -> None:
        # A report under way is left to finish: cancelling it inside nats-py's publish could cut a command in two.
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
