"""The urges (督办) a record has had, each once, and their signs (督办签收).

An urge is raised on one level's record (by a supervisor of that level or of a level above, or by the deadline
timer) and travels down, level by level, to whoever holds the order (``core.orders.crosslevel.urge``); the holder
signs it (``sign-urge``), and the sign travels back up to the record it was raised on
(``core.orders.crosslevel.urge_sign``). Each urge has an identity drawn where it was raised (``id``), which goes
with it down the chain and with its sign up: a record keeps one entry per urge, however many levels relayed it
or however often it was passed on again (a dispatch passes on the urges of the record it dispatches). So a
record's ``urge_count`` is the number of its entries: the distinct urges that reached it.

Kept on the record (``orders.urges``, a JSON list, oldest first; a JSON column changes by a new value, never in
place). An entry, times as ISO 8601 text:

    id            the urge's identity (a UUID drawn where it was raised)
    raised_on     the level whose record it was raised on
    by_tenant     the level of the person who urged (that level, or one above it)
    by            their name (the timer: ``system:timer``)
    reason        why (督办理由)
    due           督办时限: by when the holder must sign it (None: no time set, the timer's own urges)
    at            when it was raised
    signed_at, signed_by, signed_tenant, signed_unit, note
                  the sign: when, by whom, at which level and unit (its name), and what the holder said; all None
                  while it waits

督办时限 is the urge's own time: it is shown to the holder, and the desk counts it met (signed by then) or missed
(signed later, or not signed when it passed). It does not move the order's handling time limit (办理时限), which
the assessment times: an urge asks for haste within the limit, it does not grant time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.orders.models import Order

SIGN_FIELDS = ("signed_at", "signed_by", "signed_tenant", "signed_unit", "note")


class UrgeState(StrEnum):
    """Where an urge stands with the holder."""

    waiting = "waiting"  # 待签收: not signed, its 督办时限 (if any) not passed
    missed = "missed"  # 逾期未签收: not signed, its 督办时限 passed
    signed = "signed"  # 已签收 (by its 督办时限, or without one)
    signed_late = "signed_late"  # 逾期签收: signed after its 督办时限


def entries(order: Order) -> list[dict[str, Any]]:
    """The record's urges, oldest first."""
    return list(getattr(order, "urges", None) or [])


def entry(order: Order, urge_id: str) -> dict[str, Any] | None:
    return next((e for e in entries(order) if e["id"] == urge_id), None)


def new_entry(urge_id: str, raised_on: str, by_tenant: str, by: str, reason: str | None, due: datetime | None,
              at: datetime) -> dict[str, Any]:
    """An urge as it is raised: waiting for its sign."""
    return {"id": urge_id, "raised_on": raised_on, "by_tenant": by_tenant, "by": by, "reason": reason,
            "due": due.isoformat() if due else None, "at": at.isoformat(), **dict.fromkeys(SIGN_FIELDS)}


def add(order: Order, new: dict[str, Any]) -> bool:
    """The urge onto the record, if it is not there yet; False if the record has it already (passed on again)."""
    if entry(order, new["id"]) is not None:
        return False
    order.urges = [*entries(order), new]
    return True


def pending(order: Order) -> list[dict[str, Any]]:
    """The urges waiting for their sign, oldest first."""
    return [e for e in entries(order) if e.get("signed_at") is None]


def sign(order: Order, ids: Iterable[str], signed: dict[str, Any]) -> list[str]:
    """Mark these urges signed (``signed``: the sign's fields) where they still wait; returns the ids newly signed.
    A sign is never undone nor replaced: the first one stands."""
    wanted = set(ids)
    newly: list[str] = []
    updated = []
    for e in entries(order):
        if e["id"] in wanted and e.get("signed_at") is None:
            e = {**e, **{k: signed.get(k) for k in SIGN_FIELDS}}
            newly.append(e["id"])
        updated.append(e)
    if newly:
        order.urges = updated
    return newly


def state(e: dict[str, Any], now: datetime) -> UrgeState:
    """Where the urge stands at ``now``."""
    due = datetime.fromisoformat(e["due"]) if e.get("due") else None
    if e.get("signed_at") is None:
        return UrgeState.missed if due is not None and now > due else UrgeState.waiting
    signed_at = datetime.fromisoformat(e["signed_at"])
    return UrgeState.signed_late if due is not None and signed_at > due else UrgeState.signed


def earliest_due(order: Order) -> str | None:
    """The earliest 督办时限 among the urges still waiting (ISO text), if any has one."""
    dues = [e["due"] for e in pending(order) if e.get("due")]
    return min(dues, key=datetime.fromisoformat) if dues else None


def last_raised(order: Order) -> str | None:
    """When the latest urge was raised (ISO text)."""
    times = [e["at"] for e in entries(order) if e.get("at")]
    return max(times, key=datetime.fromisoformat) if times else None
