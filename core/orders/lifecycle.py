"""The work order's state machine: which action is allowed in which state, to whom, and where it leads.

    registered ──dispatch──▶ dispatched ──sign──▶ signed ──reply──▶ replied ──approve──▶ approved ──close──▶ closed
      │  answer/redirect/decline ▲   │ return        │ return/escalate   │ reject (重办)                 │ revisit
      ▼                          │   ▼               ▼                   ▼                               ▼
    closed                 returned/escalated ◀──────┘                 signed             satisfied: closed
                                                                                          unsatisfied: signed (重办)

``merge`` closes a duplicate as ``merged``; ``urge`` and extension requests leave the state as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.actors import Role


class Status(StrEnum):
    registered = "registered"  # 已受理, awaiting triage
    dispatched = "dispatched"  # 已派单, awaiting the lead unit's sign
    signed = "signed"  # 办理中
    returned = "returned"  # 已退单, back with the dispatcher
    escalated = "escalated"  # 已上报, beyond the unit's power
    replied = "replied"  # 已回复, awaiting review
    approved = "approved"  # 审核通过, ready to close
    closed = "closed"  # 已办结
    merged = "merged"  # 已合并 into another order


WITHDRAWN = "withdrawn"  # the outcome of a record the level above took back (撤回)

OPEN = frozenset({Status.registered, Status.dispatched, Status.signed, Status.returned, Status.escalated,
                  Status.replied, Status.approved})


class Action(StrEnum):
    register = "register"
    answer = "answer"  # 直办
    redirect = "redirect"  # 转 110/119/120/122 or told the legal channel
    decline = "decline"  # 不予受理
    dispatch = "dispatch"
    sign = "sign"
    return_ = "return"  # 退单
    extend = "extend"  # 延期申请
    approve_extension = "approve-extension"
    reply = "reply"
    approve = "approve"
    reject = "reject"
    close = "close"
    revisit = "revisit"  # 回访
    reopen = "reopen"  # 重办
    urge = "urge"  # 督办
    escalate = "escalate"  # 上报
    merge = "merge"
    contact = "contact"  # 联系市民: the handler reached the citizen


@dataclass(frozen=True)
class Rule:
    states: frozenset[Status]
    roles: frozenset[Role]
    needs_reason: bool = False
    unit_bound: bool = False  # the actor must belong to the order's lead unit


def _rule(states: set[Status], roles: set[Role], *, reason: bool = False, unit: bool = False) -> Rule:
    return Rule(frozenset(states), frozenset(roles), reason, unit)


RULES: dict[Action, Rule] = {
    Action.answer: _rule({Status.registered, Status.returned, Status.escalated}, {Role.operator, Role.dispatcher}),
    Action.redirect: _rule({Status.registered}, {Role.operator, Role.dispatcher}, reason=True),
    Action.decline: _rule({Status.registered, Status.returned}, {Role.operator, Role.dispatcher}, reason=True),
    Action.dispatch: _rule({Status.registered, Status.dispatched, Status.returned, Status.escalated},
                           {Role.dispatcher}),
    Action.sign: _rule({Status.dispatched}, {Role.handler}, unit=True),
    Action.return_: _rule({Status.dispatched, Status.signed}, {Role.handler}, reason=True, unit=True),
    Action.extend: _rule({Status.signed}, {Role.handler}, reason=True, unit=True),
    Action.approve_extension: _rule({Status.signed}, {Role.dispatcher, Role.reviewer}),
    Action.reply: _rule({Status.signed}, {Role.handler}, unit=True),
    Action.approve: _rule({Status.replied}, {Role.reviewer}),
    Action.reject: _rule({Status.replied}, {Role.reviewer}, reason=True),
    Action.close: _rule({Status.approved}, {Role.reviewer}),
    Action.revisit: _rule({Status.closed}, {Role.caller}),
    Action.reopen: _rule({Status.closed, Status.approved}, {Role.supervisor, Role.dispatcher}, reason=True),
    Action.urge: _rule(set(OPEN), {Role.supervisor}, reason=True),
    Action.escalate: _rule({Status.signed}, {Role.handler}, reason=True, unit=True),
    Action.merge: _rule({Status.registered, Status.dispatched}, {Role.operator, Role.dispatcher}),
    Action.contact: _rule({Status.signed}, {Role.handler}, unit=True),
}


def allowed_actions(status: Status, outcome: str | None = None) -> list[str]:
    """The actions that exist for an order in this state (before checking who asks); none for a record the
    level above took back (撤回, outcome ``withdrawn``): nothing is left to do with it here."""
    if outcome == WITHDRAWN:
        return []
    return [action.value for action, rule in RULES.items() if status in rule.states]
