"""The work order's main path and its branches through the real API: dispatch, sign, reply, approve, close and
revisit; sending back, extensions, rejected replies, rework, reopening, co-handling, escalation and urging; and an
optimistic step that lost its race writing nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from core.orders import service
from core.orders.lifecycle import Action
from core.orders.schemas import ActionRequest
from core.orders.service import Context
from core.orders.step import WriteConflict, order_step
from iam.actors import Actor, Role
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
