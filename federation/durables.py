"""The workers' durable pull consumers, bound with the configuration this release asks for.

``js.pull_subscribe(durable=…, config=…)`` uses ``config`` only to create a durable that does not exist
yet: a deployment's durables keep the settings they were made with, and the ack wait the consumers were
shortened to (``federation.progress``) would never reach the ones created with 30 s. So the config is
compared here and, where it differs, sent again under the durable's name: JetStream updates a consumer in
place when only editable fields (ack wait, max deliver, max ack pending) change, keeping its position and
its pending messages.
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)


def _differs(current: ConsumerConfig, wanted: ConsumerConfig) -> list[str]:
    """The editable settings in which the durable differs from what is wanted."""
    return [name for name in ("ack_wait", "max_deliver", "max_ack_pending")
            if getattr(wanted, name) is not None and getattr(current, name) != getattr(wanted, name)]


async def bind_durable(js: JetStreamContext, stream: str, config: ConsumerConfig) -> JetStreamContext.PullSubscription:
    """A pull subscription to the durable ``config.durable_name`` of ``stream``, created or updated to ``config``."""
    durable = config.durable_name
    assert durable, "a durable consumer needs its name"
    config.name = durable
    try:
        current = (await js.consumer_info(stream, durable)).config
    except NotFoundError:
        await js.add_consumer(stream, config)
    else:
        changed = _differs(current, config)
        if changed:
            await js.add_consumer(stream, config)  # same name: JetStream updates it in place
            log.info("durable consumer %s on %s updated: %s", durable, stream,
                     ", ".join(f"{name} {getattr(current, name)} → {getattr(config, name)}" for name in changed))
    return await js.pull_subscribe_bind(durable=durable, stream=stream)
