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
    sign_urge = "sign-urge"  # 督办签收: whoever holds the order acknowledges the urges waiting for it
    escalate = "escalate"  # 上报
    merge = "merge"
    contact = "contact"  # 联系市民: the handler reached the citizen
