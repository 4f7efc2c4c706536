"""Routes of statistics (统计分析): any cut of the read model, as JSON or as a workbook."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from core.assessment import statistics as stats
from core.assessment.schemas import StatDimension, Statistics
from core.orders.schemas import Channel
from core.sla.calendar import CST
from core.vocabulary import OrderType
from infra.edge import Day
from infra.refusals import InvalidField
from sso.access import TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}", tags=["assessment"])
READ = [Depends(TenantGuard("assessment", "read"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def date_range(request: Request, start: date | None, end: date | None) -> tuple[date, date]:
    """[from, to + 1 day): this month so far unless given; at most a year at a time."""
    today = request.app.state.clock().astimezone(CST).date()
    start, end = start or today.replace(day=1), end or today
    if end < start:
        raise InvalidField("to", "the range ends before it starts: 'to' must not be before 'from'")
    if (end - start).days > 366:
        raise InvalidField("to", "at most a year at a time: 'to' is at most 366 days after 'from'")
    return start, end + timedelta(days=1)


@router.get("/statistics", dependencies=READ, response_model=Statistics,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def statistics(
    request: Request, tenant: CurrentTenant, session: TenantSession,
    by: Annotated[StatDimension, Query(description="the rows: category, major_category, channel, type, area (the "
                                                   "next level down), unit (this tenant's units), day or month")],
    then: Annotated[StatDimension | None, Query(description="the columns of a cross table (a second dimension)")]
    = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=40, description="a major category matches its minors")] = None,
    channel: Annotated[Channel | None, Query()] = None,
    type: Annotated[OrderType | None, Query()] = None,
    area: Annotated[str | None, Query(max_length=12, pattern="^[0-9]{2,12}$",
                                      description="only requests in this division (within the tenant); by=area "
                                                  "then drills into it")] = None,
    format: Annotated[str | None, Query(pattern="^xlsx$", description="xlsx: the same table as a workbook")] = None,
):  # type: ignore[no-untyped-def]
    """Requests taken in this tenant's area (受理量) by one dimension, or two as a cross table; by unit, what this
    tenant's units were assigned (交办量). Default: this month so far. ``format=xlsx`` downloads the table."""
    start, end = date_range(request, from_, to)
    query = stats.StatQuery(code=tenant.code, start=start, end=end, by=by, then=then, category=category,
                            channel=channel.value if channel else None, type=type.value if type else None, area=area)
    table = await stats.statistics(session, query, tenant.name)
    if format == "xlsx":
        cut = by.value + (f"-{then.value}" if then else "")
        name = f"{tenant.code}-statistics-{cut}-{table.from_.isoformat()}-{table.to.isoformat()}.xlsx"
        return Response(stats.workbook(table), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return table
