"""Pulling from a JetStream consumer: the messages there are, as soon as there is one.

Why not nats-py's ``fetch(batch)``: with a batch above one, it keeps collecting until the batch is
full, its timeout passes, or the server sends a status that ends the request. In the workers under load
(``hotline bench dispatch`` at 60 chains/s, instrumented) such a fetch sometimes returned only at its
timeout: 0.5 s, with the 16 to 30 messages it had held all along. In those runs it set the p99
(docs/benchmarks/dispatch.md). We could not make it happen outside a loaded worker.

So a pull here cannot hold a message that has come. It is a long poll for ONE message, a request used
up by it, then, if the consumer held more, a no-wait request for what else is waiting at that moment.
That request has no expiry, so the server answers it at once. It goes through nats-py's private
attributes of the pull subscription (``infra.compat``, pinned and tested there); ``tests/test_pull.py``
holds the behaviour.
"""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext

from infra.compat import is_heartbeat, next_answer, request_waiting

# How long the server may take to answer a no-wait request: it answers at once, unless NATS is away.
_ANSWER_S = 5.0


async def pull(sub: JetStreamContext.PullSubscription, batch: int, wait_s: float) -> list[Msg]:
    """Up to ``batch`` messages: waits up to ``wait_s`` for the first (TimeoutError if none comes), then
    takes the ones waiting with it, without waiting for more."""
    first = await sub.fetch(1, timeout=wait_s)
    # How many more the consumer held when it sent this one: none, and a second request is saved (the
    # usual case below saturation). Others may take them first; then the request comes back empty.
    pending = first[0].metadata.num_pending if first[0].reply else None
    if batch == 1 or pending == 0:
        return first
    return first + await _waiting(sub, min(batch - 1, pending or batch - 1))


async def _waiting(sub: JetStreamContext.PullSubscription, most: int) -> list[Msg]:
    """Up to ``most`` messages the consumer has for this subscription now. The no-wait request has no
    expiry: the server sends what it has, then a 404 status if that was fewer than asked for."""
    await request_waiting(sub, most)
    found: list[Msg] = []
    while len(found) < most:
        try:
            msg = await next_answer(sub, _ANSWER_S)
        except NatsTimeoutError:  # NATS went away: what came is handled, the rest comes with a later pull
            break
        status = JetStreamContext.is_status_msg(msg)
        if status is None:
            found.append(msg)
        elif not is_heartbeat(status):
            break  # the request is done (404: no more messages; or an older request's end, left over)
    return found
