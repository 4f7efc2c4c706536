"""Routes of work orders: intake, list and export, detail, lifecycle actions."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from core.orders import masking, queries, visibility
from core.orders.attachments import BLOB
from core.orders.context import field_error
from core.orders.errors import ExportRefused, RegisterByPost, UnknownAction
from core.orders.intake import register
from core.orders.lifecycle import Action, OrderStatus
from core.orders.models import Order
from core.orders.names import Names
from core.orders.rules import allowed_actions
from core.orders.schemas import ActionRequest, Channel, OrderCreate, OrderCreated, OrderDetail, OrderPage, OrderType
from core.orders.service import Context, act_and_commit
from core.orders.step import order_step
from core.sla.policy import Light
from infra.edge import INT64_MAX, Moment
from infra.spreadsheet import csv_row, xlsx_row
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}/orders", tags=["orders"])
EXPORT_LIMIT = 100_000


async def order_context(request: Request, tenant: CurrentTenant, session: TenantSession,
                        actor: CurrentActor) -> Context:
    state = request.app.state
    return Context(
        session=session, tenant=tenant, actor=actor, rules=await state.sla.rules(session),
        categories=await state.categories.visible(session, tenant.code), now=state.clock(),
        duplicate_window_days=state.settings.duplicate_window_days,
        unit_scope=visibility.scope(actor),
    )


OrderContext = Annotated[Context, Depends(order_context)]


@router.post("", status_code=201, response_model=OrderCreated, dependencies=[Depends(TenantGuard("order", "create"))])
async def create_order(ctx: OrderContext, body: OrderCreate) -> OrderCreated:
    """受理: register a citizen's request. Returns its number, query code, deadlines and likely duplicates."""
    if any(item.storage_key.startswith(BLOB) for item in body.attachments):  # a blob is read through its own rows
        raise field_error("attachments", "files kept by the platform are uploaded to the order, not named here")
    # Optimistic: intake reads no order to change it, so its close has nothing to check and cannot conflict;
    # and its reads and its closing statement then need no BEGIN and no COMMIT (two round trips fewer).
    async with order_step(ctx.session, optimistic=True):
        done = await register(ctx, body)
    allowed = allowed_actions(ctx.actor, ctx.tenant.code, done.order, [], ctx.now)
    detail = queries.assemble(done.order, ctx.rules.calendar, ctx.now, [done.event], [],
                              [("related", other.number) for other in done.related], None, allowed,
                              reveal=masking.reveals(ctx.actor, ctx.tenant.code, done.order))
    # The names intake knows without asking the database: this level's (its only one yet) and its operator's.
    detail = queries.named(detail, Names(tenants={ctx.tenant.code: ctx.tenant.name}), ctx.tenant.code)
    return OrderCreated(**detail.model_dump(), duplicates=done.duplicates)


def order_filter(
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    type: Annotated[list[OrderType] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    channel: Annotated[list[Channel] | None, Query()] = None,
    unit: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    light: Annotated[Light | None, Query(description="green, yellow or red (open orders)")] = None,
    overdue: Annotated[bool | None, Query()] = None,
    created_from: Annotated[Moment | None, Query()] = None,
    created_to: Annotated[Moment | None, Query()] = None,
    deadline_from: Annotated[Moment | None, Query()] = None,
    deadline_to: Annotated[Moment | None, Query()] = None,
    phone: Annotated[str | None, Query(max_length=30)] = None,
    q: Annotated[str | None, Query(max_length=100, description="keyword in title, content or address; or an "
                                                                 "order number, as ``number``")] = None,
    number: Annotated[str | None, Query(max_length=40, description="any level's number of a request: this "
                                                                   "level's records of that request")] = None,
) -> queries.OrderFilter:
    return queries.OrderFilter(
        status=[s.value for s in status] if status else None, type=[t.value for t in type] if type else None,
        category=category,
        channel=[c.value for c in channel] if channel else None, unit=unit, light=light, overdue=overdue,
        created_from=created_from, created_to=created_to, deadline_from=deadline_from, deadline_to=deadline_to,
        phone=phone, q=q, number=number,
    )


@router.get("", response_model=OrderPage, dependencies=[Depends(TenantGuard("order", "read"))], responses={200: {
    "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def list_orders(
    request: Request,
    ctx: OrderContext,
    filters: Annotated[queries.OrderFilter, Depends(order_filter)],
    sort: Annotated[str, Query(pattern="^(-created_at|created_at|handle_deadline)$")] = "-created_at",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Annotated[str | None, Query(pattern="^(csv|xlsx)$")] = None,
):  # type: ignore[no-untyped-def]
    """Filter, sort and page; ``format=csv|xlsx`` exports the same query (up to 100,000 rows)."""
    wanted = filters.number or (filters.q if filters.q and queries.looks_like_number(filters.q) else None)
    if wanted:
        filters.numbers = await queries.resolve_number(ctx.session, wanted)
    query = queries.filtered(filters, ctx.rules.calendar, ctx.now, ctx.unit_scope)
    if format:
        if not await _may(request, ctx, "order", "export"):
            raise ExportRefused(ctx.tenant.code, ctx.tenant.name)
        return _export(ctx, queries.paged(query, sort, None, EXPORT_LIMIT - 1), format)
    rows = list((await ctx.session.scalars(queries.paged(query, sort, cursor, limit))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(
        items=[queries.summary(o, ctx.rules.calendar, ctx.now, masking.reveals(ctx.actor, ctx.tenant.code, o))
               for o in rows],
        next_cursor=queries.encode_cursor(sort, rows[-1]) if more else None,
    )


async def _may(request: Request, ctx: Context, resource: str, action: str) -> bool:
    authorizer = await request.app.state.authorizer.get()
    return authorizer.decide(ctx.actor.roles, ctx.actor.home, ctx.tenant.path, resource, action)


def _export(ctx: Context, query, fmt: str) -> StreamingResponse:  # type: ignore[no-untyped-def]
    stamp = f"{ctx.tenant.code}-orders-{ctx.now:%Y%m%d%H%M%S}"

    async def rows() -> AsyncIterator[list[object]]:
        result = await ctx.session.stream_scalars(query)
        async for order in result:
            yield queries.export_row(order, ctx.rules.calendar, ctx.now)

    if fmt == "csv":
        async def csv_body() -> AsyncIterator[bytes]:
            yield "\ufeff".encode()  # a BOM, so Excel opens the Chinese text as UTF-8
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(queries.EXPORT_COLUMNS)
            async for row in rows():
                writer.writerow(csv_row(row))
                if buffer.tell() > 65536:
                    yield buffer.getvalue().encode()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue().encode()

        return StreamingResponse(csv_body(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{stamp}.csv"'})

    async def xlsx_body() -> AsyncIterator[bytes]:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("orders")
        sheet.append(queries.EXPORT_COLUMNS)
        async for row in rows():
            sheet.append(xlsx_row(sheet, row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        yield buffer.getvalue()

    return StreamingResponse(
        xlsx_body(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{stamp}.xlsx"'})


@router.get("/{number}", response_model=OrderDetail, dependencies=[Depends(TenantGuard("order", "read"))])
async def get_order(ctx: OrderContext, number: str) -> OrderDetail:
    """The order with its whole timeline, assignments and links."""
    order = await ctx.session.scalar(visibility.visible(select(Order), ctx.unit_scope).where(Order.number == number))
    if order is None:
        raise queries.order_not_found(number, ctx.tenant.code)
    return await queries.detail(ctx.session, order, ctx.rules.calendar, ctx.now, ctx.actor, ctx.tenant.code)


@router.post("/{number}/{action}", response_model=OrderDetail, dependencies=[Depends(TenantGuard("order", "act"))],
             responses={409: {"description": "Not allowed in the order's state; lists the allowed actions"}})
async def perform_action(ctx: OrderContext, number: str, action: str, body: ActionRequest | None = None) -> OrderDetail:
    """One lifecycle action: answer, redirect, decline, dispatch, sign, return, extend, approve-extension,
    reply, approve, reject, close, revisit, reopen, urge, escalate, merge."""
    try:
        chosen = Action(action)
    except ValueError:
        raise UnknownAction(action) from None
    if chosen == Action.register:
        raise RegisterByPost()
    order = await act_and_commit(ctx, number, chosen, body or ActionRequest())
    return await queries.detail(ctx.session, order, ctx.rules.calendar, ctx.now, ctx.actor, ctx.tenant.code)
