"""Cross-level work (跨层级流转): what each step sends to another level and what it does where it arrives.

One module per step, its message, its sending rule and its receiving rule side by side:

    dispatch    派单 down: the child level's own record of the order
    sign        签收 up: the level above sees its child took the order in hand
    giveback    退单 / 上报 up: the order back with the level that dispatched it
    reply       回复 (and 直办) up: the child's answer waits for the level above's review
    urge        督办 down, level by level, to whoever holds the order now (each urge once per level)
    urge_sign   督办签收 up: the holder acknowledged the urges, back to the levels that raised them
    rework      审核不通过 / 重办 down, level by level, to whoever handled it
    rating      回访 results down to every level that handled it
    withdraw    撤回 down, all the way: the level above took the order back
    extension   延期 request up until a level may grant it; the decision back down

``docs/crosslevel.md`` is the protocol in words. ``DOWN`` and ``UP`` are what the federation worker applies
(``federation.transport``: each message once, in the receiving level's transaction with its inbox record).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.crosslevel import (
    dispatch,
    extension,
    giveback,
    rating,
    reply,
    rework,
    sign,
    urge,
    urge_sign,
    withdraw,
)
from core.orders.crosslevel.messages import Message
from federation.transport import Applier


def _reading(model: type[Message], apply: Callable[[AsyncSession, Any, Any, str], Awaitable[None]]) -> Applier:
    """The applier of one kind: the message read as its model (PermanentError if it is not one), then applied."""
    async def applier(session: AsyncSession, tenant: Any, data: bytes, message_id: str) -> None:
        await apply(session, tenant, model.read(data), message_id)

    return applier


_STEPS: list[tuple[type[Message], Callable[..., Awaitable[None]]]] = [
    (dispatch.Dispatch, dispatch.apply),
    (urge.Urge, urge.apply),
    (rework.Rework, rework.apply),
    (rating.Rated, rating.apply),
    (withdraw.Withdraw, withdraw.apply),
    (extension.ExtensionDecision, extension.apply_decision),
    (sign.Signed, sign.apply),
    (giveback.Returned, giveback.apply_returned),
    (giveback.Escalated, giveback.apply_escalated),
    (reply.Replied, reply.apply),
    (extension.ExtensionRequest, extension.apply_request),
    (urge_sign.UrgeSigned, urge_sign.apply),
]

DOWN: dict[str, Applier] = {model.kind: _reading(model, apply) for model, apply in _STEPS if model.direction == "down"}
UP: dict[str, Applier] = {model.kind: _reading(model, apply) for model, apply in _STEPS if model.direction == "up"}
