"""What the platform announces on its live channel (实时推送): one small JSON notice per order a step changed,
the telephony's incoming calls (来电弹屏), and which tenants' overview numbers (总览) the assessment consumer
just changed. PostgreSQL delivers a notice at commit, and only then: the
order step's closing statement issues them (``infra.unit_of_work``), so only committed changes are announced,
those a worker applies from another level included. ``core.orders.live`` listens and fans them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson

from infra.times import province_time

LIVE_CHANNEL = "hotline_live"
MAX_UNITS = 200  # a notice stays far below PostgreSQL's 8000-byte limit on a payload
MAX_TOUCHED = 200  # tenant codes in one overview notice (≤ 12 bytes each)


def order_notice(tenant: str, number: str, action: str, status: str, unit_ids: Iterable[int],
                 at: datetime) -> tuple[str, str]:
    """The notice of one order a step changed: whose (tenant; the units that may read it), what, when."""
    units = sorted(set(unit_ids))[:MAX_UNITS]
    return LIVE_CHANNEL, orjson.dumps({"kind": "order", "tenant": tenant, "number": number, "action": action,
                                       "status": status, "unit_ids": units, "at": province_time(at)}).decode()


def call_notice(call_id: str, tenant: str, phone: str, seat: str, at: datetime) -> str:
    """The payload of an incoming call's notice, for the seat named only."""
    return orjson.dumps({"kind": "call", "call_id": call_id, "tenant": tenant, "phone": phone, "seat": seat,
                         "at": province_time(at)}).decode()


def overview_notice(tenants: Iterable[str], cut: bool = False) -> str:
    """The payload of the notice that the read model's numbers of these tenants changed (their records' facts were
    applied, or a rebuild replaced them): the codes only, never what changed. A long list is cut to the levels
    above (districts, cities, the province) and says so (``cut``): then a code stands for its whole subtree, and a
    watcher inside it re-reads too (``core.orders.live``); ``cut`` says so of the codes given."""
    codes = sorted(set(tenants))
    for length in (6, 4, 2):
        if len(codes) <= MAX_TOUCHED:
            break
        codes, cut = sorted({code[:length] for code in codes}), True
    return orjson.dumps({"kind": "overview", "tenants": codes, "cut": cut}).decode()
