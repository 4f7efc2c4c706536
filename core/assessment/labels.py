"""The Chinese names of the intake's words that a statistics table or a workbook prints (never bare codes).

The console keeps its own label tables for its screens; a workbook made on the server needs them here.
"""

from __future__ import annotations

from core.orders.schemas import Channel
from core.vocabulary import OrderType

CHANNEL_NAMES: dict[str, str] = {
    Channel.phone: "电话", Channel.web: "网站", Channel.app: "移动客户端", Channel.wechat: "微信",
    Channel.weibo: "微博", Channel.sms: "短信", Channel.email: "电子邮件", Channel.mayor_mailbox: "市长信箱",
    Channel.mini_program: "小程序", Channel.police_110: "110 联动",
}

TYPE_NAMES: dict[str, str] = {
    OrderType.consultation: "咨询", OrderType.help: "求助", OrderType.complaint: "投诉", OrderType.report: "举报",
    OrderType.suggestion: "建议", OrderType.praise: "表扬",
}
