"""Who took a step, by name, in the hash-chained event log (core/orders/events.py): a person's name is recorded and
hashed with the step; an event without one hashes exactly as events did before names were recorded."""

from __future__ import annotations

from datetime import UTC

from core.orders.crosslevel.links import sender_actor
from core.orders.events import event_digest, new_event, verify_chain
from core.orders.models import Order
from iam.actors import Actor, Role
from tests.fast.records import CITY, NOW, order


def _record() -> Order:
    return order(event_seq=0, event_hash=None)


def test_a_persons_step_records_their_name_and_hashes_it() -> None:
    record = _record()
    event = new_event(record, action="register", from_status=None, now=NOW,
                      actor=Actor(user="zz-operator", tenant=CITY, roles=frozenset({Role.operator}), name="张敏"))
    assert event.actor_name == "张敏"
    assert verify_chain(record.number, [event]) is None
    event.actor_name = "李四"
    broken = verify_chain(record.number, [event])
    assert broken is not None and broken.problem == "content does not match its hash"


def test_an_event_without_a_name_hashes_as_events_did_before_names_were_recorded() -> None:
    record = _record()
    event = new_event(record, action="register", from_status=None, now=NOW,
                      actor=Actor(user="citizen-web", tenant=CITY, roles=frozenset({Role.operator})))
    assert event.actor_name is None
    before_names = {
        "event_id": str(event.event_id), "seq": 1, "action": "register", "from_status": None,
        "to_status": record.status, "actor": "citizen-web", "actor_unit_id": None, "actor_tenant": CITY,
        "reason": None, "payload": {}, "occurred_at": NOW.astimezone(UTC).isoformat()}
    assert event.hash == event_digest(None, record.number, before_names)


def test_a_step_another_levels_message_made_records_no_persons_name() -> None:
    event = new_event(_record(), action="urge", from_status="signed", now=NOW, actor=sender_actor("41"))
    assert event.actor == "tenant:41" and event.actor_name is None
