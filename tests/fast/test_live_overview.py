"""The live stream's ``overview`` event (core/orders/live.py) without services: who hears which tenants, and at
most one event a second per listener, what changed meanwhile gathered into the next."""

from __future__ import annotations

import asyncio
import json

import orjson
import pytest

from core.orders import live
from core.orders.announce import MAX_TOUCHED, overview_notice
from core.orders.live import LiveHub, Subscriber
from iam.actors import Actor, Role


def _listener(tenant: str, overview: bool = True) -> Subscriber:
    actor = Actor("someone", tenant, frozenset({Role.supervisor}), home="/".join(
        tenant[:n] for n in (2, 4, 6, 9) if n <= len(tenant)))
    return Subscriber(actor, orders=True, overview=overview)


def _frames(subscriber: Subscriber) -> list[dict[str, object]]:
    out = []
    while not subscriber.queue.empty():
        event, data = subscriber.queue.get_nowait().strip().split("\n")
        assert event == "event: overview"
        out.append(json.loads(data.removeprefix("data: ")))
    return out


def test_a_listener_hears_only_the_tenants_of_its_subtree() -> None:
    async def scenario() -> tuple[list[dict[str, object]], ...]:
        hub = LiveHub("postgresql://unused")
        province, city, sibling, town = _listener("41"), _listener("4101"), _listener("4105"), _listener("410102001")
        barred = _listener("41", overview=False)
        hub.subscribers |= {province, city, sibling, town, barred}
        hub.deliver(overview_notice(["410102001", "4106"]))
        return _frames(province), _frames(city), _frames(sibling), _frames(town), _frames(barred)

    province, city, sibling, town, barred = asyncio.run(scenario())
    assert province == [{"tenants": ["410102001", "4106"], "cut": False}]
    assert city == [{"tenants": ["410102001"], "cut": False}]
    assert town == [{"tenants": ["410102001"], "cut": False}]
    assert sibling == [] and barred == []


def test_a_cut_notice_reaches_the_listeners_inside_the_codes_it_names() -> None:
    many = [f"{city}{n:02d}001" for city in ("4101", "4102", "4103") for n in range(1, 100)]
    notice = orjson.loads(overview_notice(many))
    assert len(many) > MAX_TOUCHED and notice["cut"] and len(notice["tenants"]) <= MAX_TOUCHED

    async def scenario() -> list[dict[str, object]]:
        hub = LiveHub("postgresql://unused")
        town = _listener("410102001")
        hub.subscribers.add(town)
        hub.deliver(overview_notice(["4101"], cut=True))
        return _frames(town)

    assert asyncio.run(scenario()) == [{"tenants": ["410102001"], "cut": True}]


def test_a_busy_subtree_makes_at_most_one_event_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "OVERVIEW_EVERY_S", 0.2)  # the rule, on a shorter clock

    async def scenario() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        hub = LiveHub("postgresql://unused")
        province = _listener("41")
        hub.subscribers.add(province)
        for code in ("4101", "4102", "4103"):
            hub.deliver(overview_notice([code]))
        first = _frames(province)
        await asyncio.sleep(0.4)
        return first, _frames(province)

    first, then = asyncio.run(scenario())
    assert first == [{"tenants": ["4101"], "cut": False}]  # at once
    assert then == [{"tenants": ["4102", "4103"], "cut": False}]  # the rest, gathered into one


def test_a_closed_stream_sends_nothing_it_had_gathered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "OVERVIEW_EVERY_S", 0.2)
    async def scenario() -> list[dict[str, object]]:
        hub = LiveHub("postgresql://unused")
        province = _listener("41")
        hub.subscribers.add(province)
        hub.deliver(overview_notice(["4101"]))
        hub.deliver(overview_notice(["4102"]))
        _frames(province)
        hub.unsubscribe(province)
        await asyncio.sleep(live.OVERVIEW_EVERY_S + 0.2)
        return _frames(province)

    assert asyncio.run(scenario()) == []
