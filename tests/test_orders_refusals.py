"""What the work order's API refuses, and how: in every state each person is offered exactly the actions they may
take; the wrong role, unit, tenant or level is refused; a refusal says why in words."""

from __future__ import annotations

import httpx
import pytest

from core.orders.lifecycle import Action, Status
from tests.lifecycle_helpers import (
    city_departments,  # noqa: F401 (the fixture `units`)
    handler,
    signed_order,
)
from tests.orders_helpers import (
    ADMIN,
    CALLER,
    CITY,
    DISPATCHER,
    OPERATOR,
    OTHER_CITY,
    REVIEWER,
    SUPERVISOR,
    act,
    register,
    staff,
)

CITIES = (CITY, OTHER_CITY)
# The order's state does not allow it (core/orders/errors.py, InvalidTransition and its named cases): each answers
# the actions this person may take instead.
TRANSITION_REFUSALS = ("invalid_transition", "extension_pending", "past_time_limit", "no_extension_waiting",
                       "taken_at_origin", "merge_into_closed")
# This person may not (the guard's forbidden, or the rules' named refusals), or may not see the order at all.
PERSON_REFUSALS = ("forbidden", "role_needed", "not_your_tenant", "not_your_unit", "outside_your_reach", "withdrawn",
                   "order_not_found")


async def _order_in(client: httpx.AsyncClient, units: dict[str, int], status: Status) -> str:
    """An order brought to a status through the API."""
    order = await register(client)
    number = order["number"]
    steps: dict[Status, list[tuple[str, dict, dict]]] = {
        Status.registered: [],
        Status.dispatched: [("dispatch", DISPATCHER, {"to": units["housing"]})],
        Status.signed: [("dispatch", DISPATCHER, {"to": units["housing"]}), ("sign", handler(units), {})],
        Status.returned: [("dispatch", DISPATCHER, {"to": units["housing"]}),
                          ("return", handler(units), {"reason": "非本单位职责"})],
        Status.escalated: [("dispatch", DISPATCHER, {"to": units["housing"]}), ("sign", handler(units), {}),
                           ("escalate", handler(units), {"reason": "需上级协调"})],
        Status.replied: [("dispatch", DISPATCHER, {"to": units["housing"]}), ("sign", handler(units), {}),
                         ("reply", handler(units), {"content": "已处理"})],
        Status.approved: [("dispatch", DISPATCHER, {"to": units["housing"]}), ("sign", handler(units), {}),
                          ("reply", handler(units), {"content": "已处理"}), ("approve", REVIEWER, {})],
        Status.closed: [("answer", OPERATOR, {"content": "已答复"})],
        Status.merged: [],
    }
    if status == Status.merged:
        target = await register(client)
        await act(client, number, "merge", OPERATOR, into=target["number"])
    for action, who, body in steps[status]:
        await act(client, number, action, who, **body)
    return number


# Everyone who works at the city, and a province supervisor who reaches it: what each is offered on a record.
def _people(units: dict[str, int]) -> dict[str, object]:
    return {"operator": OPERATOR, "dispatcher": DISPATCHER, "reviewer": REVIEWER, "caller": CALLER,
            "supervisor": SUPERVISOR, "admin": ADMIN, "auditor": staff("auditor"), "housing": handler(units),
            "water": handler(units, "water"), "province supervisor": staff("supervisor", tenant="41")}


async def _valid_body(client: httpx.AsyncClient, units: dict[str, int], action: Action) -> dict[str, object]:
    """A well-formed request of the action: what is left to decide is whether the person may take it now."""
    bodies: dict[Action, dict[str, object]] = {
        Action.answer: {"content": "已答复"}, Action.redirect: {"to": "110", "reason": "治安事件"},
        Action.decline: {"reason": "不属于受理范围"}, Action.dispatch: {"to": units["urban"]},
        Action.return_: {"reason": "非本单位职责"}, Action.extend: {"days": 3, "reason": "需协调"},
        Action.approve_extension: {"approved": True}, Action.reply: {"content": "已处理"},
        Action.reject: {"reason": "答复不完整"}, Action.revisit: {"satisfaction": "satisfied"},
        Action.reopen: {"reason": "再办一次"}, Action.urge: {"reason": "加快办理"},
        Action.escalate: {"reason": "需上级协调"}, Action.contact: {"note": "已电话联系"},
    }
    if action == Action.merge:
        return {"into": (await register(client))["number"]}
    return bodies.get(action, {})


@pytest.mark.parametrize("status", [s for s in Status if s != Status.merged] + [Status.merged])
async def test_in_every_state_each_person_may_take_exactly_the_actions_they_are_offered(
        client: httpx.AsyncClient, units: dict[str, int], status: Status) -> None:
    number = await _order_in(client, units, status)
    path = f"/api/v1/tenants/{CITY}/orders/{number}"
    offered: dict[str, set[str]] = {}
    for name, who in _people(units).items():
        seen = await client.get(path, headers=who)  # type: ignore[arg-type]
        offered[name] = set(seen.json()["allowed_actions"]) if seen.status_code == 200 else set()
    for name, who in _people(units).items():
        for action in Action:
            if action == Action.register or action.value in offered[name]:
                continue
            body = await act(client, number, action.value, who, expect=-1,  # type: ignore[arg-type]
                              **await _valid_body(client, units, action))
            assert body.get("error") in (*TRANSITION_REFUSALS, *PERSON_REFUSALS), (name, action, body)
            if body["error"] in TRANSITION_REFUSALS:
                assert set(body["allowed_actions"]) == offered[name], (name, action)
    # Each offer is accepted: on a fresh order in the same state, as the same person.
    for name, who in _people(units).items():
        for action in sorted(offered[name]):
            fresh = await _order_in(client, units, status)
            await act(client, fresh, action, who, **await _valid_body(client, units, Action(action)))  # type: ignore[arg-type]


async def test_the_wrong_role_is_403(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    body = await act(client, order["number"], "dispatch", OPERATOR, expect=403, to=units["housing"])
    assert "dispatcher" in body["detail"]


async def test_a_handler_of_another_unit_finds_no_such_order(client: httpx.AsyncClient,
                                                             units: dict[str, int]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", DISPATCHER, to=units["housing"])
    body = await act(client, order["number"], "sign", handler(units, "water"), expect=404)
    assert body["error"] == "order_not_found"  # as a read of it answers (tests/test_security_web.py)


async def test_a_co_handler_may_not_take_the_leads_step(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    await act(client, order["number"], "dispatch", DISPATCHER, to=units["housing"], co_handlers=[units["water"]])
    body = await act(client, order["number"], "return", handler(units, "water"), expect=403, reason="x")
    assert body["error"] == "not_your_unit"


async def test_staff_of_another_tenant_cannot_act(client: httpx.AsyncClient) -> None:
    order = await register(client)
    await act(client, order["number"], "answer", staff("operator", tenant=OTHER_CITY), expect=403, content="x")


async def test_dispatch_goes_down_the_tree_only(client: httpx.AsyncClient) -> None:
    order = await register(client)
    sibling = await act(client, order["number"], "dispatch", DISPATCHER, expect=422, to="410502")
    assert sibling["fields"][0]["field"] == "to"
    child = await act(client, order["number"], "dispatch", DISPATCHER, to="410611")
    assert (child["status"], child["assigned_tenant"]) == ("dispatched", "410611")


async def test_an_unknown_action_or_order_is_404(client: httpx.AsyncClient) -> None:
    order = await register(client)
    await act(client, order["number"], "teleport", DISPATCHER, expect=404)
    await act(client, f"{CITY}-20260101-999999", "sign", DISPATCHER, expect=404)


async def test_staff_read_their_own_tenant_and_below_but_never_a_sibling(client: httpx.AsyncClient) -> None:
    order = await register(client)
    path = f"/api/v1/tenants/{CITY}/orders/{order['number']}"
    assert (await client.get(path, headers=OPERATOR)).status_code == 200
    assert (await client.get(path, headers=staff("supervisor", tenant="41"))).status_code == 200
    for headers in (staff("operator", tenant=OTHER_CITY), staff("operator", tenant="410611")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403, headers
        listing = await client.get(f"/api/v1/tenants/{CITY}/orders", headers=headers)
        assert listing.status_code == 403


async def test_a_refusal_of_the_guard_names_what_and_whose_in_words(client: httpx.AsyncClient) -> None:
    order = await register(client)
    body = await act(client, order["number"], "dispatch", staff("dispatcher", tenant=OTHER_CITY), expect=403, to=1)
    assert body["detail"] == f"you may not act on the orders of tenant {CITY} (鹤壁市)"


async def test_a_refused_step_says_why_in_a_sentence(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    body = await act(client, order["number"], "sign", handler(units), expect=409)
    assert body["detail"] == f"'sign' cannot be done to order {order['number']} now: it is signed"
