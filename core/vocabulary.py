"""The words an order and its time limit share: what kind of request (类型) and how urgent (紧急程度).

Time limits are set per type × urgency (core/sla), orders carry both (core/orders): the words sit
below both so neither imports the other for them.
"""

from __future__ import annotations

from enum import StrEnum


class OrderType(StrEnum):
    consultation = "consultation"  # 咨询
    help = "help"  # 求助
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    suggestion = "suggestion"  # 建议
    praise = "praise"  # 表扬


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    very_urgent = "very_urgent"  # 特急
