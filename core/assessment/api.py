"""Routes of assessment (考核), statistics (统计), hot-spot alerts (热点预警) and the live overview."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import text

from core.assessment import report as documents
from core.assessment import service
from core.assessment.settings import AssessmentSettings, effective
from core.sla.calendar import CST
from core.vocabulary import Channel, OrderType
from infra.edge import Day
from infra.refusals import InvalidField
from infra.times import TimedJson
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}", tags=["assessment"])
Period = Annotated[str, Query(max_length=23, description="a month (2026-10) or days (2026-10-01..2026-10-15)")]
READ = [Depends(TenantGuard("assessment", "read"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _ranking(session: TenantSession, code: str, period: str, level: str | None = None) -> dict[str, Any]:
    try:
        return await service.ranking(session, code, period, level)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None


@router.get("/assessment", dependencies=READ)
async def ranking(
    tenant: CurrentTenant, session: TenantSession, period: Period,
    level: Annotated[str | None, Query(pattern="^(city|district|town)$",
                                       description="rank every tenant of this level below (default: children)")]
    = None,
) -> TimedJson:
    """The units this tenant assesses — its child tenants and its own departments — ranked by score for the
    period, with every indicator, the counts behind them, and the red list (红榜) and black list (黑榜)."""
    return await _ranking(session, tenant.code, period, level)


@router.get("/assessment/report.xlsx", dependencies=READ, response_class=Response,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def report_xlsx(tenant: CurrentTenant, session: TenantSession, period: Period) -> Response:
    """The monthly report (通报) as a workbook: one sheet per group, with a chart, and the definitions."""
    body = documents.xlsx(await _ranking(session, tenant.code, period))
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{tenant.code}-assessment-{period}.xlsx"'})


@router.get("/assessment/report.html", response_class=HTMLResponse, dependencies=READ)
async def report_html(tenant: CurrentTenant, session: TenantSession, period: Period) -> HTMLResponse:
    """The monthly report as a printable document (A4 landscape; print to PDF from any browser)."""
    return HTMLResponse(documents.html_document(await _ranking(session, tenant.code, period), tenant.name))


@router.get("/assessment/indicators.csv", dependencies=READ, response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def indicators_csv(tenant: CurrentTenant, session: TenantSession, period: Period) -> Response:
    """The raw indicator table: counters and rates of every assessed unit."""
    body = documents.csv_table(await _ranking(session, tenant.code, period))
    return Response(body.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{tenant.code}-indicators-{period}.csv"'})


@router.get("/assessment/settings", dependencies=READ)
async def get_settings(tenant: CurrentTenant, session: TenantSession) -> TimedJson:
    """The assessment settings in force here, and where they come from."""
    settings, source = await effective(session, tenant.code)
    return {"from": source or "defaults", "settings": settings.model_dump()}


@router.put("/assessment/settings", dependencies=[Depends(TenantGuard("assessment", "write"))])
async def put_settings(tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                       settings: AssessmentSettings) -> TimedJson:
    """Set this tenant's assessment settings (for it and its subtree); missing fields take the defaults."""
    await session.execute(text(
        "INSERT INTO public.assessment_settings (tenant_code, settings, updated_by) VALUES (:t, CAST(:s AS jsonb), :u) "
        "ON CONFLICT (tenant_code) DO UPDATE SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by, "
        "updated_at = now()"), {"t": tenant.code, "s": json.dumps(settings.model_dump()), "u": actor.user})
    await session.commit()
    return {"from": tenant.code, "settings": settings.model_dump()}


@router.get("/overview", dependencies=READ)
async def overview(request: Request, tenant: CurrentTenant, session: TenantSession) -> TimedJson:
    """实时总览 for supervisors: today's intake and the open, yellow, red (overdue now) and urged orders of
    each child tenant's subtree, this month's overdue count, and open hot-spot alerts."""
    rules = await request.app.state.sla.rules(session)
    return await service.overview(session, tenant.code, rules.calendar, request.app.state.clock())


@router.get("/statistics", dependencies=READ)
async def statistics(
    request: Request, tenant: CurrentTenant, session: TenantSession,
    by: Annotated[str, Query(pattern="^(" + "|".join(service.STAT_DIMENSIONS) + ")$",
                             description="category, major_category, channel, type, area (drill down) or day")],
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    channel: Annotated[Channel | None, Query()] = None,
    type: Annotated[OrderType | None, Query()] = None,
) -> TimedJson:
    """Requests taken in this tenant's area by one dimension (default: this month so far)."""
    today = request.app.state.clock().astimezone(CST).date()
    start, end = from_ or today.replace(day=1), to or today
    if end < start:
        raise InvalidField("to", "the range ends before it starts: 'to' must not be before 'from'")
    if (end - start).days > 366:
        raise InvalidField("to", "at most a year at a time: 'to' is at most 366 days after 'from'")
    return await service.statistics(session, tenant.code, start, end + timedelta(days=1), by,
                                    {"category": category, "channel": channel and channel.value,
                                     "type": type and type.value})


@router.get("/alerts", dependencies=READ)
async def alerts(tenant: CurrentTenant, session: TenantSession,
                 open_only: Annotated[bool, Query(alias="open")] = True) -> list[TimedJson]:
    """Hot-spot alerts (热点预警) raised to this tenant or below it."""
    return await service.alerts(session, tenant.code, open_only)
