"""Who may take which step on a record now (core/orders/rules.py), and the named refusal when not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.orders import errors
from core.orders.lifecycle import WITHDRAWN, Action, Status
from core.orders.rules import allowed_actions, permit
from iam.actors import Role
from infra.refusals import Forbidden
from tests.fast.records import CITY, DISTRICT, NOW, PROVINCE, ROADS, SIBLING, WATER, co, lead, order, person


def test_a_dispatcher_dispatches_a_registered_order() -> None:
    needed = permit(person("dispatcher"), CITY, order(), [], Action.dispatch, NOW)
    assert needed.roles == {Role.dispatcher}


def test_an_operator_may_not_dispatch_and_is_told_the_role_needed() -> None:
    with pytest.raises(errors.RoleNeeded) as refused:
        permit(person("operator"), CITY, order(), [], Action.dispatch, NOW)
    assert refused.value.status == 403 and refused.value.code == "role_needed"
    assert refused.value.params == {"roles": ["dispatcher"], "action": "dispatch"}
    assert "dispatcher" in refused.value.detail and "'dispatch'" in refused.value.detail


def test_a_person_of_another_tenant_may_not_act_on_the_order() -> None:
    with pytest.raises(errors.NotYourTenant) as refused:
        permit(person("dispatcher", SIBLING), CITY, order(), [], Action.dispatch, NOW)
    assert SIBLING in refused.value.detail and CITY in refused.value.detail


def test_the_lead_units_handler_signs_a_dispatched_order() -> None:
    needed = permit(person("handler", unit=WATER), CITY, order(Status.dispatched), [lead(WATER)], Action.sign, NOW)
    assert needed.unit == WATER and needed.co is None


def test_another_units_handler_may_not_sign_it() -> None:
    with pytest.raises(errors.NotYourUnit) as refused:
        permit(person("handler", unit=ROADS), CITY, order(Status.dispatched), [lead(WATER)], Action.sign, NOW)
    assert refused.value.code == "not_your_unit" and refused.value.status == 403


def test_a_department_handler_acts_as_a_handler() -> None:
    needed = permit(person("department_handler", unit=WATER), CITY, order(Status.dispatched), [lead(WATER)],
                    Action.sign, NOW)
    assert needed.unit == WATER


def test_a_co_handler_signs_its_own_part() -> None:
    assignments = [lead(WATER, signed=True), co(ROADS)]
    needed = permit(person("handler", unit=ROADS), CITY, order(Status.signed), assignments, Action.sign, NOW)
    assert needed.co is assignments[1]


def test_signing_a_signed_order_is_refused_with_what_may_be_done_instead() -> None:
    with pytest.raises(errors.NotInThisState) as refused:
        permit(person("handler", unit=WATER), CITY, order(Status.signed), [lead(WATER, signed=True)], Action.sign,
               NOW)
    assert refused.value.status == 409 and refused.value.code == "invalid_transition"
    assert refused.value.extra["order_status"] == "signed"
    assert {"reply", "return", "escalate", "extend", "contact"} <= set(refused.value.extra["allowed_actions"])


def test_a_withdrawn_record_allows_nothing() -> None:
    record = order(Status.closed, origin=CITY[:2], outcome=WITHDRAWN)
    with pytest.raises(errors.OrderWithdrawn) as refused:
        permit(person("dispatcher"), CITY, record, [], Action.dispatch, NOW)
    assert refused.value.code == "withdrawn" and refused.value.extra["allowed_actions"] == []
    assert allowed_actions(person("dispatcher"), CITY, record, [], NOW) == []


def test_an_extension_is_asked_before_the_time_limit() -> None:
    late = order(Status.signed, handle_deadline=NOW - timedelta(hours=1))
    with pytest.raises(errors.PastTimeLimit):
        permit(person("handler", unit=WATER), CITY, late, [lead(WATER, signed=True)], Action.extend, NOW)


def test_one_extension_request_at_a_time() -> None:
    waiting = order(Status.signed, pending_extension={"days": 3, "forwarded": False})
    with pytest.raises(errors.ExtensionPending):
        permit(person("handler", unit=WATER), CITY, waiting, [lead(WATER, signed=True)], Action.extend, NOW)


def test_a_waiting_extension_is_decided_by_a_dispatcher_or_a_reviewer() -> None:
    waiting = order(Status.signed, pending_extension={"days": 3, "forwarded": False})
    for role in ("dispatcher", "reviewer"):
        assert "approve-extension" in allowed_actions(person(role), CITY, waiting, [lead(WATER, signed=True)], NOW)


def test_deciding_an_extension_nobody_asked_for_is_refused() -> None:
    with pytest.raises(errors.NoExtensionWaiting):
        permit(person("dispatcher"), CITY, order(Status.signed), [lead(WATER, signed=True)],
               Action.approve_extension, NOW)


def test_a_record_from_above_is_merged_only_where_the_request_was_taken() -> None:
    with pytest.raises(errors.TakenAtOrigin) as refused:
        permit(person("operator"), CITY, order(Status.registered, origin=PROVINCE), [], Action.merge, NOW)
    assert f"tenant {PROVINCE}" in refused.value.detail


def test_a_supervisor_urges_down_the_tree() -> None:
    record = order(Status.dispatched)
    assert permit(person("supervisor", PROVINCE), CITY, record, [lead(WATER)], Action.urge, NOW).reach_down


def test_a_supervisor_does_not_urge_a_sibling_citys_order() -> None:
    with pytest.raises(errors.OutsideYourReach):
        permit(person("supervisor", SIBLING), CITY, order(Status.dispatched), [lead(WATER)], Action.urge, NOW)


def test_a_reviewer_approves_a_replied_order() -> None:
    assert permit(person("reviewer"), CITY, order(Status.replied), [lead(WATER, signed=True)], Action.approve, NOW)


def test_a_closed_order_of_this_level_is_reopened_but_a_child_levels_only_from_above() -> None:
    assert "reopen" in allowed_actions(person("supervisor"), CITY, order(Status.closed), [], NOW)
    assert "reopen" not in allowed_actions(person("supervisor"), CITY, order(Status.closed, origin=PROVINCE), [],
                                           NOW)


def test_a_child_levels_centre_signs_a_record_received_from_above() -> None:
    assert "sign" in allowed_actions(person("dispatcher"), CITY, order(Status.dispatched, origin=PROVINCE), [], NOW)


def test_an_order_with_a_child_level_is_in_that_levels_hands() -> None:
    record = order(Status.dispatched)
    assert allowed_actions(person("handler", unit=WATER), CITY, record, [lead(tenant=DISTRICT)], NOW) == []


WAITING = [{"id": "u1", "raised_on": PROVINCE, "by_tenant": PROVINCE, "by": "省督办员", "reason": "请加快",
            "due": None, "at": NOW.isoformat(), "signed_at": None}]


def test_the_unit_holding_the_order_signs_the_urge_waiting_on_it_and_nobody_else() -> None:
    record = order(Status.signed, urges=WAITING)
    holding = [lead(WATER, signed=True)]
    assert permit(person("handler", unit=WATER), CITY, record, holding, Action.sign_urge, NOW).unit == WATER
    with pytest.raises(errors.NotYourUnit):
        permit(person("handler", unit=ROADS), CITY, record, holding, Action.sign_urge, NOW)
    for role in ("dispatcher", "supervisor", "reviewer"):
        assert "sign-urge" not in allowed_actions(person(role), CITY, record, holding, NOW)


def test_the_centre_signs_an_urge_on_an_order_it_holds_the_reviewers_one_waiting_for_review() -> None:
    assert "sign-urge" in allowed_actions(person("dispatcher"), CITY, order(Status.returned, urges=WAITING), [], NOW)
    replied = order(Status.replied, urges=WAITING)
    assert "sign-urge" in allowed_actions(person("reviewer"), CITY, replied, [lead(WATER, signed=True)], NOW)


def test_no_urge_is_signed_where_none_waits_nor_where_a_child_level_holds_the_order() -> None:
    signed = [{**WAITING[0], "signed_at": NOW.isoformat()}]
    with pytest.raises(errors.NotInThisState):
        permit(person("handler", unit=WATER), CITY, order(Status.signed, urges=signed), [lead(WATER, signed=True)],
               Action.sign_urge, NOW)
    below = order(Status.signed, urges=WAITING)
    assert all("sign-urge" not in allowed_actions(person(role), CITY, below, [lead(tenant=DISTRICT, signed=True)],
                                                  NOW) for role in ("dispatcher", "reviewer", "operator"))


ROLES = [r.value for r in Role]
STATES = [
    (order(Status.registered), []),
    (order(Status.dispatched), [lead(WATER)]),
    (order(Status.signed), [lead(WATER, signed=True), co(ROADS)]),
    (order(Status.signed, pending_extension={"days": 2, "forwarded": False}), [lead(WATER, signed=True)]),
    (order(Status.replied), [lead(WATER, signed=True)]),
    (order(Status.signed, urges=WAITING), [lead(WATER, signed=True)]),
    (order(Status.replied, urges=WAITING), [lead(WATER, signed=True)]),
    (order(Status.returned, urges=WAITING), []),
    (order(Status.signed, urges=WAITING), [lead(tenant=DISTRICT, signed=True)]),
    (order(Status.approved), [lead(WATER, signed=True)]),
    (order(Status.closed), []),
    (order(Status.returned), []),
    (order(Status.dispatched, origin=PROVINCE), []),
    (order(Status.signed, origin=PROVINCE), [lead(tenant=DISTRICT, signed=True)]),
]


@pytest.mark.parametrize(("record", "assignments"), STATES)
def test_the_allowed_actions_are_exactly_what_permit_accepts(record, assignments) -> None:  # type: ignore[no-untyped-def]
    for role in ROLES:
        for unit in (None, WATER, ROADS):
            actor = person(role, unit=unit)
            allowed = set(allowed_actions(actor, CITY, record, assignments, NOW))
            for action in Action:
                if action == Action.register:
                    continue
                try:
                    permit(actor, CITY, record, assignments, action, NOW)
                    accepted = True
                except (errors.InvalidTransition, errors.OrderWithdrawn, Forbidden):
                    accepted = False
                assert accepted == (action.value in allowed), (role, unit, record.status, action)


def test_a_closed_order_the_citizen_rated_offers_no_second_follow_up() -> None:
    rated = order(Status.closed, satisfaction="satisfied")
    assert Action.revisit.value not in allowed_actions(person("caller"), CITY, rated, [], NOW)
    with pytest.raises(errors.AlreadyRated) as refused:
        permit(person("caller"), CITY, rated, [], Action.revisit, NOW)
    assert refused.value.status == 409 and refused.value.code == "invalid_transition"


def test_an_order_closed_again_after_an_unsatisfied_rating_is_followed_up_again() -> None:
    for satisfaction in (None, "unsatisfied"):
        closed = order(Status.closed, satisfaction=satisfaction)
        assert Action.revisit.value in allowed_actions(person("caller"), CITY, closed, [], NOW), satisfaction
