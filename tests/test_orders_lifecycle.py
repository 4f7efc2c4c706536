"""The work order's whole lifecycle through the real API, every branch, and what is refused."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from core.orders import service
from core.orders.lifecycle import Action, Status
from core.orders.schemas import ActionRequest
from core.orders.service import Context
from core.orders.step import WriteConflict, order_step
from iam.actors import Actor, Role
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
    intake,
    register,
    staff,
)

CITIES = (CITY, OTHER_CITY)








@pytest.fixture(scope="module")
async def units(client: httpx.AsyncClient) -> dict[str, int]:
    ids = {}
    for code, name in (("housing", "市住房和城乡建设局"), ("water", "市水务局"), ("urban", "市城市管理局")):
        response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=ADMIN,
                                     json={"code": code, "name": name, "kind": "department"})
        assert response.status_code == 201, response.text
        ids[code] = response.json()["id"]
    return ids


def handler(units: dict[str, int], code: str = "housing") -> dict[str, str]:
    return staff("handler", unit=units[code])


async def signed_order(client: httpx.AsyncClient, units: dict[str, int], **overrides) -> dict:  # type: ignore[no-untyped-def]
    order = await register(client, **overrides)
    await act(client, order["number"], "dispatch", DISPATCHER, to=units["housing"])
    return await act(client, order["number"], "sign", handler(units))


# ---- intake ---------------------------------------------------------------------------------


async def test_intake_returns_number_query_code_status_and_deadlines(client: httpx.AsyncClient) -> None:
    order = await register(client)
    assert order["number"].startswith(f"{CITY}-") and len(order["number"].split("-")) == 3
    assert order["query_code"].startswith(f"{CITY}-")
    assert order["status"] == "registered"
    assert order["handle_deadline"] is not None and order["light"] == "green"
    assert order["timeline"][0]["action"] == "register"
    assert order["allowed_actions"] == ["answer", "redirect", "decline", "merge"]  # the operator's, not a dispatcher's


@pytest.mark.parametrize(("change", "field"), [
    ({"citizen": {"name": "李四", "phone": "12345"}}, "citizen.phone"),
    ({"citizen": {"name": "李四", "phone": "13903920001", "id_number": "110105194912310021"}}, "citizen.id_number"),
    ({"division_code": "410502"}, "division_code"),
    ({"category": "9999"}, "category"),
    ({"category": "01"}, "category"),
    ({"channel": "carrier_pigeon"}, "channel"),
    ({"type": "gossip"}, "type"),
    ({"citizen": {"name": "李四", "callback": True}}, "citizen.phone"),
    ({"citizen": {"phone": "13903920001"}}, "citizen.name"),
    ({"title": ""}, "title"),
])
async def test_intake_refuses_bad_fields_with_field_errors(client: httpx.AsyncClient, change: dict,
                                                           field: str) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake(**change), headers=OPERATOR)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert field in [f["field"] for f in body["fields"]]


async def test_intake_accepts_a_valid_id_number_and_anonymous_citizen(client: httpx.AsyncClient) -> None:
    order = await register(client, citizen={"id_number": "11010519491231002X", "anonymous": True,
                                            "phone": "0392-3312345", "callback": True})
    assert order["citizen_id_number"] == "11010519491231002X" and order["anonymous"] is True


async def test_intake_needs_an_operator(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake(), headers=CALLER)
    assert response.status_code == 403


async def test_an_unidentified_request_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/tenants/{CITY}/orders", json=intake())
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


# ---- the main path and its branches ---------------------------------------------------------


async def test_dispatch_sign_reply_approve_close_revisit(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    number = order["number"]
    dispatched = await act(client, number, "dispatch", DISPATCHER, to=units["housing"], note="请核实处理")
    assert dispatched["status"] == "dispatched" and dispatched["lead_unit_id"] == units["housing"]
    assert dispatched["sign_deadline"] is not None
    assert (await act(client, number, "sign", handler(units)))["status"] == "signed"
    replied = await act(client, number, "reply", handler(units), content="已联系物业修复楼顶防水层。")
    assert replied["status"] == "replied"
    assert (await act(client, number, "approve", REVIEWER))["status"] == "approved"
    closed = await act(client, number, "close", REVIEWER)
    assert closed["status"] == "closed" and closed["outcome"] == "resolved" and closed["closed_at"]
    rated = await act(client, number, "revisit", CALLER, satisfaction="satisfied")
    assert rated["status"] == "closed" and rated["satisfaction"] == "satisfied"
    assert [e["action"] for e in rated["timeline"]] == ["register", "dispatch", "sign", "reply", "approve", "close",
                                                         "revisit"]
    assert all(e["actor"] for e in rated["timeline"])


async def test_answered_directly_closes_at_intake(client: httpx.AsyncClient) -> None:
    order = await register(client, type="consultation")
    answered = await act(client, order["number"], "answer", OPERATOR, content="社保卡可在各银行网点补办。")
    assert (answered["status"], answered["outcome"]) == ("closed", "answered")


async def test_redirect_to_110_needs_a_reason_and_closes(client: httpx.AsyncClient) -> None:
    order = await register(client)
    refused = await act(client, order["number"], "redirect", OPERATOR, expect=422, to="110")
    assert refused["fields"][0]["field"] == "reason"
    done = await act(client, order["number"], "redirect", OPERATOR, to="110", reason="涉及治安案件")
    assert (done["status"], done["outcome"], done["redirect_to"]) == ("closed", "redirected", "110")


async def test_not_accepted_needs_a_reason(client: httpx.AsyncClient) -> None:
    order = await register(client)
    await act(client, order["number"], "decline", OPERATOR, expect=422)
    done = await act(client, order["number"], "decline", OPERATOR, reason="属于司法程序中的案件")
    assert (done["status"], done["outcome"]) == ("closed", "not_accepted")


async def test_a_send_back_goes_to_the_dispatcher_and_redispatch_keeps_the_time_left(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    number = order["number"]
    await act(client, number, "dispatch", DISPATCHER, to=units["water"])
    await act(client, number, "return", handler(units, "water"), expect=422)
    returned = await act(client, number, "return", handler(units, "water"), reason="不属于水务职责")
    assert returned["status"] == "returned" and returned["lead_unit_id"] is None
    again = await act(client, number, "dispatch", DISPATCHER, to=units["housing"])
    assert again["status"] == "dispatched" and again["lead_unit_id"] == units["housing"]
    # The clock stopped while the order waited: the deadline moved later, never earlier.
    assert datetime.fromisoformat(again["handle_deadline"]) >= datetime.fromisoformat(order["handle_deadline"])
    assert [a["status"] for a in again["assignments"]] == ["returned", "dispatched"]


async def test_an_extension_is_asked_with_a_reason_and_moves_the_deadline_once_approved(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    number = order["number"]
    await act(client, number, "extend", handler(units), expect=422, days=5)
    asked = await act(client, number, "extend", handler(units), days=5, reason="需协调多个部门")
    assert asked["pending_extension"]["days"] == 5 and asked["handle_deadline"] == order["handle_deadline"]
    await act(client, number, "extend", handler(units), expect=409, days=2, reason="再延")
    approved = await act(client, number, "approve-extension", DISPATCHER, approved=True)
    assert approved["pending_extension"] is None
    assert datetime.fromisoformat(approved["handle_deadline"]) > datetime.fromisoformat(order["handle_deadline"])


async def test_a_refused_extension_leaves_the_deadline(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    await act(client, order["number"], "extend", handler(units), days=3, reason="材料未齐")
    refused = await act(client, order["number"], "approve-extension", DISPATCHER, approved=False)
    assert refused["handle_deadline"] == order["handle_deadline"] and refused["pending_extension"] is None


async def test_a_rejected_reply_goes_back_to_the_same_unit_keeping_its_time_limit_and_extension(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    number = order["number"]
    await act(client, number, "extend", handler(units), days=3, reason="材料未齐")
    extended = await act(client, number, "approve-extension", DISPATCHER, approved=True)
    granted = datetime.fromisoformat(extended["handle_deadline"])
    assert granted > datetime.fromisoformat(order["handle_deadline"])
    await act(client, number, "reply", handler(units), content="已处理")
    rejected = await act(client, number, "reject", REVIEWER, reason="答复过于简单，未说明处理结果")
    assert rejected["status"] == "signed" and rejected["lead_unit_id"] == units["housing"]
    assert (rejected["reopen_count"], datetime.fromisoformat(rejected["handle_deadline"])) == (0, granted)  # 审核不通过
    assert rejected["timeline"][-1]["action"] == "reject"
    again = await act(client, number, "reply", handler(units), content="已维修完毕并回访住户确认。")
    assert again["status"] == "replied"
    lead = [a for a in again["assignments"] if a["role"] == "lead"]
    assert [a["reply"] for a in lead] == ["已处理", "已维修完毕并回访住户确认。"]  # the rejected reply is kept


async def test_an_unsatisfied_follow_up_reopens_the_order_with_the_rework_time_limit(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    limit = await client.put(f"/api/v1/tenants/{CITY}/rework-limit", headers=ADMIN, json={"working_days": 2})
    assert limit.json() == {"working_days": 2, "from": CITY}, limit.text
    assert (await client.put(f"/api/v1/tenants/{CITY}/rework-limit", headers=ADMIN,
                             json={"working_days": 0})).status_code == 422
    order = await signed_order(client, units)
    number = order["number"]
    await act(client, number, "reply", handler(units), content="已处理")
    await act(client, number, "approve", REVIEWER)
    await act(client, number, "close", REVIEWER)
    reopened = await act(client, number, "revisit", CALLER, satisfaction="unsatisfied", note="问题仍未解决")
    assert (reopened["status"], reopened["reopen_count"], reopened["satisfaction"]) == ("signed", 1, "unsatisfied")
    assert reopened["closed_at"] is None
    at = datetime.fromisoformat(reopened["timeline"][-1]["occurred_at"])
    deadline = datetime.fromisoformat(reopened["handle_deadline"])
    assert deadline == service_calendar_deadline(at, 2)
    await client.put(f"/api/v1/tenants/{CITY}/rework-limit", headers=ADMIN, json={"working_days": 5})


def service_calendar_deadline(start: datetime, days: int) -> datetime:
    from core.sla.calendar import calendar_from_rows

    return calendar_from_rows([], []).add_working_days(start, days)[0]


async def test_a_supervisor_reopens_a_closed_order_with_a_reason(client: httpx.AsyncClient,
                                                                  units: dict[str, int]) -> None:
    order = await register(client, type="consultation")
    await act(client, order["number"], "answer", OPERATOR, content="已答复")
    reopened = await act(client, order["number"], "reopen", SUPERVISOR, reason="市民再次来电")
    assert reopened["status"] == "registered" and reopened["reopen_count"] == 1


async def test_co_handlers_sign_and_reply_their_part_while_the_lead_decides(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    number = order["number"]
    await act(client, number, "dispatch", DISPATCHER, to=units["housing"], co_handlers=[units["urban"]])
    co_signed = await act(client, number, "sign", handler(units, "urban"))
    assert co_signed["status"] == "dispatched"  # the lead has not signed yet
    await act(client, number, "sign", handler(units))
    co_reply = await act(client, number, "reply", handler(units, "urban"), content="城管已清理楼顶杂物")
    assert co_reply["status"] == "signed"
    roles = {a["role"]: a for a in co_reply["assignments"]}
    assert roles["co"]["reply"] == "城管已清理楼顶杂物" and roles["lead"]["status"] == "signed"
    await act(client, number, "dispatch", DISPATCHER, expect=409, to=units["water"])  # signed: no redispatch


async def test_a_unit_escalates_and_the_dispatcher_takes_it_back(client: httpx.AsyncClient,
                                                                 units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    escalated = await act(client, order["number"], "escalate", handler(units), reason="需市政府协调")
    assert escalated["status"] == "escalated" and escalated["lead_unit_id"] is None
    assert (await act(client, order["number"], "dispatch", DISPATCHER, to=units["urban"]))["status"] == "dispatched"


async def test_urging_by_this_or_an_ancestor_supervisor_but_not_a_sibling(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    number = order["number"]
    urged = await act(client, number, "urge", SUPERVISOR, reason="群众反映强烈")
    assert urged["urge_count"] == 1 and urged["status"] == "signed"
    province = staff("supervisor", tenant="41")
    assert (await act(client, number, "urge", province, reason="省督办"))["urge_count"] == 2
    sibling = staff("supervisor", tenant=OTHER_CITY)
    await act(client, number, "urge", sibling, expect=403, reason="越权")


async def test_urges_sent_at_the_same_moment_all_count(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    number = order["number"]
    # Each reads the order unlocked first; one that finds it changed at its commit is done again, locked.
    await asyncio.gather(*(act(client, number, "urge", SUPERVISOR, reason=f"第{i}次督办") for i in range(6)))
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=SUPERVISOR)).json()
    assert detail["urge_count"] == 6
    assert [e["action"] for e in detail["timeline"]].count("urge") == 6


async def test_an_optimistic_step_whose_order_changed_after_its_read_writes_nothing(
        app: FastAPI, client: httpx.AsyncClient, units: dict[str, int]) -> None:
    number = (await signed_order(client, units))["number"]
    db, state = app.state.db, app.state
    tenant = await state.registry.get(db, CITY)
    async with db.tenant_session(tenant.schema_name) as session:
        supervisor = Actor(user="supervisor-a", tenant=CITY, roles=frozenset({Role.supervisor}), home=tenant.path)
        ctx = Context(session=session, tenant=tenant, actor=supervisor, rules=await state.sla.rules(session),
                      categories=await state.categories.visible(session, CITY), now=state.clock())
        with pytest.raises(WriteConflict):
            async with order_step(session, optimistic=True):
                await service.act(ctx, number, Action.urge, ActionRequest(reason="先读，后写"))
                await act(client, number, "urge", SUPERVISOR, reason="同时督办")  # the order changes meanwhile
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=SUPERVISOR)).json()
    assert detail["urge_count"] == 1
    assert [e["reason"] for e in detail["timeline"] if e["action"] == "urge"] == ["同时督办"]


async def test_merging_a_duplicate_keeps_both_citizens(client: httpx.AsyncClient) -> None:
    first = await register(client)
    second = await register(client, citizen={"name": "赵六", "phone": "13903920099"})
    merged = await act(client, second["number"], "merge", OPERATOR, into=first["number"])
    assert (merged["status"], merged["merged_into"]) == ("merged", first["number"])
    kept = (await client.get(f"/api/v1/tenants/{CITY}/orders/{first['number']}", headers=OPERATOR)).json()
    assert kept["merged_citizens"] == [{"number": second["number"], "name": "赵六", "phone": "13903920099",
                                        "callback": True}]
    assert {"kind": "merged", "number": second["number"]} in kept["links"]
    assert kept["timeline"][-1]["action"] == "merged-in"


async def test_an_order_merged_into_twice_lists_both_citizens_oldest_first(client: httpx.AsyncClient) -> None:
    kept = await register(client)
    numbers = []
    for phone in ("13903920101", "13903920102"):
        other = await register(client, citizen={"name": "钱七", "phone": phone})
        await act(client, other["number"], "merge", OPERATOR, into=kept["number"])
        numbers.append(other["number"])
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{kept['number']}", headers=OPERATOR)).json()
    assert [(c["number"], c["phone"]) for c in detail["merged_citizens"]] == [
        (numbers[0], "13903920101"), (numbers[1], "13903920102")]


async def test_the_order_response_holds_no_internal_state(client: httpx.AsyncClient,
                                                          units: dict[str, int]) -> None:
    """What the service keeps for itself (the assessment's counting, the timer's marks, the sequence of the
    messages from other levels) is not in the order the API returns."""
    order = await signed_order(client, units)
    detail = (await client.get(f"/api/v1/tenants/{CITY}/orders/{order['number']}", headers=SUPERVISOR)).json()
    internal = {"extra", "assessment_state", "received_seq", "auto_urged_at", "auto_escalated_at", "origin_path",
                "merged_count", "event_seq", "event_hash", "search", "paused_remaining_s"}
    assert internal.isdisjoint(detail)
    assert "holding_unit" not in str(detail)  # the assessment's state of it (its unit was dispatched it)


async def test_the_documented_order_holds_no_internal_state(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    detail = spec["components"]["schemas"]["OrderDetail"]["properties"]
    assert "extra" not in detail and "assessment_state" not in detail
    assert detail["merged_citizens"]["items"] == {"$ref": "#/components/schemas/MergedCitizen"}


# ---- refusals -------------------------------------------------------------------------------


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
            assert body.get("error") in ("invalid_transition", "forbidden", "not_your_unit", "withdrawn",
                                         "order_not_found"), (name, action, body)
            if body["error"] == "invalid_transition":
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


# ---- the API's surface: one form of time, details in words -----------------------------------

_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _times(value: object) -> list[str]:
    """Every time in an answer, however deep (payloads, pending extensions, timelines)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and _MOMENT.fullmatch(value) else []


async def test_every_time_in_intake_actions_detail_and_list_is_in_the_provinces_offset(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await register(client)
    number = order["number"]
    dispatched = await act(client, number, "dispatch", DISPATCHER, to=units["housing"])
    await act(client, number, "sign", handler(units))
    extended = await act(client, number, "extend", handler(units), days=2, reason="需现场勘查")
    read = (await client.get(f"/api/v1/tenants/{CITY}/orders/{number}", headers=DISPATCHER)).json()
    listed = (await client.get(f"/api/v1/tenants/{CITY}/orders", headers=DISPATCHER)).json()
    for name, body in (("intake", order), ("dispatch", dispatched), ("extend", extended), ("detail", read),
                       ("list", listed)):
        times = _times(body)
        assert times and all(t.endswith("+08:00") for t in times), (name, [t for t in times if "+08:00" not in t])
    assert extended["pending_extension"]["until"].endswith("+08:00")


async def test_a_refusal_of_the_guard_names_what_and_whose_in_words(client: httpx.AsyncClient) -> None:
    order = await register(client)
    body = await act(client, order["number"], "dispatch", staff("dispatcher", tenant=OTHER_CITY), expect=403, to=1)
    assert body["detail"] == f"you may not act on the orders of tenant {CITY} (鹤壁市)"


async def test_a_refused_step_says_why_in_a_sentence(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    order = await signed_order(client, units)
    body = await act(client, order["number"], "sign", handler(units), expect=409)
    assert body["detail"] == f"'sign' cannot be done to order {order['number']} now: it is signed"
