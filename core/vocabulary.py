"""The words the hotline's packages share: what kind of request (类型), how urgent (紧急程度), by which channel
(渠道) it came, and how satisfied the citizen was (满意度).

Time limits are set per type × urgency (core/sla), orders carry them all (core/orders), the assessment counts by
them (core/assessment): the words sit below all three so none imports another for them. Each is an enum of the
OpenAPI document under its class name, and the console has one label table for each (console/src/labels/).
"""

from __future__ import annotations

from enum import StrEnum


class OrderType(StrEnum):
    """What the citizen asks for (诉求类型)."""

    consultation = "consultation"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 建议
    praise = "praise"  # 表扬


class Urgency(StrEnum):
    """How urgent (紧急程度): with the type, it sets the time limits."""

    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    very_urgent = "very_urgent"  # 特急


class Channel(StrEnum):
    """Where a request came in (受理渠道)."""

    phone = "phone"  # 电话
    web = "web"  # 网站
    app = "app"  # 移动客户端
    wechat = "wechat"  # 微信
    weibo = "weibo"  # 微博
    sms = "sms"  # 短信
    email = "email"  # 电子邮件
    mayor_mailbox = "mayor_mailbox"  # 市长信箱
    mini_program = "mini_program"  # 小程序
    police_110 = "police_110"  # 110 联动转来


class Satisfaction(StrEnum):
    """The citizen's word at the follow-up call (回访满意度)."""

    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意
