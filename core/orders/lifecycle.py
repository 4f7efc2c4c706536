"""The work order's states and actions: where each action leads. Who may take which action when, with who
holds the record, is in ``core.orders.rules``; what a step does at other levels, in ``core.orders.crosslevel``.

    registered ──dispatch──▶ dispatched ──sign──▶ signed ──reply──▶ replied ──approve──▶ approved ──close──▶ closed
      │  answer/redirect/decline ▲   │ return        │ return/escalate   │ reject (审核不通过)            │ revisit
      ▼                          │   ▼               ▼                   ▼                               ▼
    closed                 returned/escalated ◀──────┘                 signed             satisfied: closed
                                                                                          unsatisfied: signed (重办)
                                                               reopen (重办) ◀── approved/closed

``merge`` closes a duplicate as ``merged``; ``urge``, ``sign-urge``, ``contact`` and extension requests leave the
state as it is. A record a child level received from above starts ``dispatched`` with that level's centre, which
signs it (``signed``), dispatches it on, answers it, or gives it back up (its record then closes as ``returned`` or
``escalated``); its close sends its reply up to the level that dispatched it.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is (工单状态). Named ``OrderStatus`` in the OpenAPI document; ``Status`` here."""

    registered = "registered"  # 已受理, awaiting triage
    dispatched = "dispatched"  # 已派单, awaiting the lead unit's sign
    signed = "signed"  # 办理中
    returned = "returned"  # 已退单, back with the dispatcher
    escalated = "escalated"  # 已上报, beyond the unit's power
    replied = "replied"  # 已回复, awaiting review
    approved = "approved"  # 审核通过, ready to close
    closed = "closed"  # 已办结
    merged = "merged"  # 已合并 into another order


Status = OrderStatus  # the lifecycle's own short name


class Outcome(StrEnum):
    """How a closed record ended (办结方式): set with ``closed`` (or ``merged``), cleared when it opens again."""

    answered = "answered"  # 直办答复
    redirected = "redirected"  # 转 110/119/120/122 or told the legal channel
    not_accepted = "not_accepted"  # 不予受理
    resolved = "resolved"  # 办结 after a unit's reply
    merged = "merged"  # 并入另一工单
    returned = "returned"  # a child level's record given back up (退回上级)
    escalated = "escalated"  # a child level's record escalated up (上报上级)
    withdrawn = "withdrawn"  # the level above took the record back (撤回)


WITHDRAWN = Outcome.withdrawn

OPEN = frozenset({Status.registered, Status.dispatched, Status.signed, Status.returned, Status.escalated,
                  Status.replied, Status.approved})


class OrderAction(StrEnum):
    """What a person does to an order (``POST …/orders/{number}/{action}``). ``Action`` here."""

    register = "register"  # 受理
    answer = "answer"  # 直办
    redirect = "redirect"  # 转 110/119/120/122 or told the legal channel
    decline = "decline"  # 不予受理
    dispatch = "dispatch"  # 派单
    sign = "sign"  # 签收
    return_ = "return"  # 退单
    extend = "extend"  # 延期申请
    approve_extension = "approve-extension"  # 延期审批
    reply = "reply"  # 回复
    approve = "approve"  # 审核通过
    reject = "reject"  # 审核不通过
    close = "close"  # 办结
    revisit = "revisit"  # 回访
    reopen = "reopen"  # 重办
    urge = "urge"  # 督办
    sign_urge = "sign-urge"  # 督办签收: whoever holds the order acknowledges the urges waiting for it
    escalate = "escalate"  # 上报
    merge = "merge"  # 合并
    contact = "contact"  # 联系市民: the handler reached the citizen


Action = OrderAction


class EventKind(StrEnum):
    """What an event of an order's log (工单流转记录) records: every action, and the steps no person takes here —
    another level's step applied on arrival (dispatch-received, withdraw), a merge into this order, the timer.
    A step another level took arrives under its action's own name (``urge``, ``revisit`` for the rating,
    ``sign``, ``reply``, ``return``, ``escalate``, ``reject``/``reopen``, ``extend``, ``approve-extension``)."""

    register = "register"  # 受理
    answer = "answer"  # 直办
    redirect = "redirect"  # 转办
    decline = "decline"  # 不予受理
    dispatch = "dispatch"  # 派单
    sign = "sign"  # 签收
    return_ = "return"  # 退单
    extend = "extend"  # 延期申请
    approve_extension = "approve-extension"  # 延期审批
    reply = "reply"  # 回复
    approve = "approve"  # 审核通过
    reject = "reject"  # 审核不通过
    close = "close"  # 办结
    revisit = "revisit"  # 回访 (and a rating relayed from the level that called back)
    reopen = "reopen"  # 重办
    urge = "urge"  # 督办
    sign_urge = "sign-urge"  # 督办签收, by whoever holds the order
    urge_signed = "urge-signed"  # 督办已签收: the holder's sign arrived from the level below
    escalate = "escalate"  # 上报
    merge = "merge"  # 合并
    contact = "contact"  # 联系市民
    dispatch_received = "dispatch-received"  # 收到上级派单
    withdraw = "withdraw"  # 上级撤回
    merged_in = "merged-in"  # 并入: a duplicate merged into this order
    overdue = "overdue"  # 超期: the timer saw the handling limit pass


class AssignmentRole(StrEnum):
    """What a unit or a child level was given an order as."""

    lead = "lead"  # 主办
    co = "co"  # 协办


class AssignmentStatus(StrEnum):
    """Where one assignment (派单记录) of an order stands; it ends done, given back, merged, withdrawn or reworked."""

    dispatched = "dispatched"  # 待签收
    signed = "signed"  # 办理中
    replied = "replied"  # 已回复
    returned = "returned"  # 已退单
    escalated = "escalated"  # 已上报
    done = "done"  # 已完成
    merged = "merged"  # 已合并
    withdrawn = "withdrawn"  # 已撤回
    reworked = "reworked"  # 重办: ended by a rework, a new one follows


class LinkKind(StrEnum):
    """How two orders are linked (关联)."""

    duplicate = "duplicate"  # 重复
    related = "related"  # 关联
    merged = "merged"  # 合并
