"""Routes of the seat's desk: a caller's history (来电历史), the duplicate preview (判重) and the inbox (待办)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from core.orders import callers, inbox, masking, queries
from core.orders.api import OrderContext
from core.orders.citizen import normalize_phone
from core.orders.context import field_error
from core.orders.duplicates import candidates, scored
from core.orders.errors import UnitStaffOnly, UnknownTab
from core.orders.models import Order, transient
from core.orders.schemas import DuplicateCandidate, OrderOut, OrderPage
from infra.db import TENANT_SCHEMA_KEY
from infra.unit_of_work import connection
from sso.access import TenantGuard

router = APIRouter(prefix="/api/v1/tenants/{code}", tags=["desk"])


class CallerOrder(OrderOut):
    tenant_code: str = Field(description="the level that took the request (this tenant or one below it)")


class CallerHistory(BaseModel):
    phone: str
    total: int = Field(description="the caller's requests taken in this tenant's subtree")
    repeat: bool = Field(description="at least one of them taken in the last 30 days (重复来电)")
    items: list[CallerOrder]


@router.get("/callers/{phone}", response_model=CallerHistory, dependencies=[Depends(TenantGuard("order", "read"))])
async def caller_history(ctx: OrderContext, phone: Annotated[str, Path(max_length=30)],
                         limit: Annotated[int, Query(ge=1, le=100)] = 20) -> CallerHistory:
    """The caller's earlier requests in this tenant's subtree, newest first (the centre's desk: not a unit's)."""
    if ctx.unit_scope is not None:
        raise UnitStaffOnly("a caller's history")
    try:
        number = normalize_phone(phone)
    except ValueError as exc:
        raise field_error("phone", str(exc)) from None
    found = await callers.history(ctx.session, ctx.tenant, number, ctx.now, ctx.duplicate_window_days, limit)
    items = [CallerOrder(**queries.summary(order, ctx.rules.calendar, ctx.now,
                                           masking.reveals(ctx.actor, ctx.tenant.code, order)).model_dump(),
                         tenant_code=code) for code, order in found.items]
    return CallerHistory(phone=number, total=found.total, repeat=found.recent > 0, items=items)


class DuplicateQuery(BaseModel):
    """What the operator has typed so far (nothing is required; nothing is written). ``address`` is taken
    and, as at intake, not scored: the division stands for the place."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=300)
    division_code: str | None = Field(None, pattern=r"^\d{2,12}$")
    category: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=200)
    content: str | None = Field(None, max_length=20000)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None


class DuplicateList(BaseModel):
    items: list[DuplicateCandidate]


@router.post("/orders/duplicates", response_model=DuplicateList,
             dependencies=[Depends(TenantGuard("order", "create"))])
async def duplicate_preview(ctx: OrderContext, body: DuplicateQuery) -> DuplicateList:
    """判重 before registering: the orders intake would suggest as likely duplicates, scored the same way."""
    title = body.title or ""
    division = body.division_code or ctx.tenant.code
    found = await candidates(
        await connection(ctx.session), ctx.session.sync_session.info[TENANT_SCHEMA_KEY],
        since=ctx.now - timedelta(days=ctx.duplicate_window_days), phone=body.phone, division=division,
        category=body.category, title=title)
    draft = transient(Order, {"citizen_phone": body.phone, "division_code": division, "category": body.category,
                              "title": title, "content": body.content or ""})
    return DuplicateList(items=scored(draft, found))


# How many orders wait in each tab: one field per tab (``InboxTab``).
TabCounts = create_model("TabCounts", **{tab.value: (int, ...) for tab in inbox.InboxTab})  # type: ignore[call-overload]


class InboxCounts(BaseModel):
    counts: TabCounts  # type: ignore[valid-type]


@router.get("/inbox", response_model=InboxCounts, dependencies=[Depends(TenantGuard("order", "read"))])
async def inbox_counts(ctx: OrderContext) -> InboxCounts:
    """How many orders wait in each tab for the person asking (one statement)."""
    row = (await ctx.session.execute(inbox.counts_query(
        ctx.unit_scope, inbox.since(ctx.now, ctx.duplicate_window_days)))).one()
    return InboxCounts(counts=TabCounts(**{tab: int(row._mapping[tab]) for tab in inbox.TABS}))


class InboxPage(OrderPage):
    tab: inbox.InboxTab = Field(description="the tab these orders are of: the one asked for, or for `auto` the first "
                                            "where work waits (待签收, 待办理, 待派单, 待审核, 待回访, 被督办; "
                                            "待签收 when none)")


@router.get("/inbox/{tab}", response_model=InboxPage, dependencies=[Depends(TenantGuard("order", "read"))])
async def inbox_tab(ctx: OrderContext, tab: Annotated[str, Path(max_length=20)],
                    cursor: Annotated[str | None, Query(max_length=200)] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> InboxPage:
    """One tab's orders, open work by deadline (most urgent first), closed work newest first. ``auto``: the first
    tab where work waits, so a console opening the inbox needs one request for its rows, beside the counts."""
    start = inbox.since(ctx.now, ctx.duplicate_window_days)
    if tab == inbox.AUTO:
        tab = await ctx.session.scalar(inbox.busy_tab_query(ctx.unit_scope, start)) or inbox.AUTO_ORDER[0]
    if tab not in inbox.TABS:
        raise UnknownTab(tab, (*inbox.TABS, inbox.AUTO))
    sort = inbox.tab_sort(tab)
    query = inbox.tab_query(tab, ctx.unit_scope, start)
    if ctx.unit_scope is not None and tab in inbox.ASSIGNMENT_TABS:
        # A unit's own tabs start from its live assignments in deadline order (their index), not its every order.
        after = None
        if cursor:
            value, last_id = queries.decode_cursor(cursor, sort)
            after = (None if value == queries.FAR else value, last_id)
        query = inbox.unit_work_page(tab, ctx.unit_scope, after, limit)
    rows = list((await ctx.session.scalars(queries.paged(query, sort, cursor, limit))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(
        tab=tab,
        items=[queries.summary(o, ctx.rules.calendar, ctx.now, masking.reveals(ctx.actor, ctx.tenant.code, o))
               for o in rows],
        next_cursor=queries.encode_cursor(sort, rows[-1]) if more else None)
