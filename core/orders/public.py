"""A citizen's own progress (进度查询): by query code and the phone given at intake, masked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from core.orders.citizen import mask_name, mask_phone, normalize_phone
from core.orders.errors import NoSuchProgress
from core.orders.lookup_limits import LookupLimits
from core.orders.models import Order, OrderEvent
from infra.db import Database
from infra.times import Time
from tenants.codes import is_valid_code
from tenants.models import Tenant, TenantStatus
from tenants.service import tenant_query

router = APIRouter(prefix="/api/v1/public", tags=["public"])

STATUS_LABELS = {
    "registered": "已受理", "dispatched": "已派单", "signed": "办理中", "returned": "重新派单中",
    "escalated": "办理中", "replied": "办理中", "approved": "办理中", "closed": "已办结", "merged": "已合并办理",
}
PUBLIC_STEPS = {"register": "受理", "dispatch": "派单", "sign": "签收", "reply": "答复", "close": "办结",
                "answer": "直接答复", "redirect": "转有关部门", "decline": "不予受理", "revisit": "回访",
                "reopen": "重新办理", "reject": "重新办理", "merge": "合并办理"}
# The random part of a query code (core/orders/numbers.py).
_LETTERS = re.compile(r"[2-9A-HJ-NP-Z]{8}")


class PublicStep(BaseModel):
    step: str
    at: Time


class PublicProgress(BaseModel):
    number: str
    title: str
    status: str
    citizen_name: str | None
    citizen_phone: str | None
    created_at: Time
    handle_deadline: Time | None
    closed_at: Time | None
    answer: str | None
    steps: list[PublicStep]


@router.get("/orders/{query_code}", response_model=PublicProgress, responses={
    404: {"description": "Unknown code, or the phone does not match (indistinguishable on purpose)"},
    429: {"description": "Too many lookups from this address, or too many wrong phones for this code from it; "
                        "see Retry-After"}})
async def progress(request: Request, query_code: str,
                   phone: Annotated[str, Query(min_length=5, max_length=30)]) -> PublicProgress:
    """No data without the phone number the request was made with; names and numbers are masked."""
    tenant_code, _, letters = query_code.partition("-")
    if not is_valid_code(tenant_code) or not _LETTERS.fullmatch(letters):  # not a code: nothing to count or look up
        raise NoSuchProgress()
    client = request.app.state.trusted_proxies.of(request)
    limits: LookupLimits = request.app.state.lookup_limits
    await limits.admit(client, query_code)
    order, events = await _find(request.app.state.db, tenant_code, query_code, phone)
    if order is None:
        await limits.wrong_phone(client, query_code)
        raise NoSuchProgress()
    answer = next((e.payload.get("content") for e in reversed(events) if e.action in ("answer", "reply")), None)
    return PublicProgress(
        number=order.number, title=order.title, status=STATUS_LABELS.get(order.status, order.status),
        citizen_name=mask_name(order.citizen_name), citizen_phone=mask_phone(order.citizen_phone),
        created_at=order.created_at, handle_deadline=order.handle_deadline, closed_at=order.closed_at,
        answer=answer if order.status == "closed" else None,
        steps=[PublicStep(step=PUBLIC_STEPS[e.action], at=e.occurred_at) for e in events if e.action in PUBLIC_STEPS],
    )


async def _find(db: Database, tenant_code: str, query_code: str,
                phone: str) -> tuple[Order | None, Sequence[OrderEvent]]:
    """The order registered under this code with this phone, and its events; None if there is none."""
    try:
        phone = normalize_phone(phone)
    except ValueError:
        return None, ()
    async with db.shared_session() as session:
        tenant: Tenant | None = await session.scalar(tenant_query(tenant_code))
    if tenant is None or tenant.status != TenantStatus.active:
        return None, ()
    async with db.tenant_session(tenant.schema_name) as session:
        # The record registered here: a child level's record of the request carries the same code.
        order = await session.scalar(select(Order).where(Order.query_code == query_code,
                                                         Order.origin_tenant.is_(None)))
        if order is None or order.citizen_phone != phone:
            return None, ()
        events = (await session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.seq))).all()
    return order, events
