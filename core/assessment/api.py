"""Routes of assessment (考核); the overview, statistics (统计) and hot spots (热点) have their own
(``overview_api``, ``statistics_api``, ``hotspots_api``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from core.assessment import bulletin, service
from core.assessment import report as documents
from core.assessment.ranking_schemas import Ranking
from core.assessment.settings import (
    AssessmentSettings,
    AssessmentSettingsOut,
    effective,
    indicator_catalog,
    remove_settings,
    set_settings,
)
from core.sla.calendar import CST
from infra.refusals import InvalidField
from sso.access import CurrentActor, TenantGuard
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/tenants/{code}", tags=["assessment"])
Period = Annotated[str, Query(max_length=23, description="a month (2026-10) or days (2026-10-01..2026-10-15)")]
Level = Annotated[str | None, Query(pattern="^(city|district|town)$",
                                    description="rank every tenant of this level below (default: children)")]
READ = [Depends(TenantGuard("assessment", "read"))]
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(tenant_name: str, code: str, period: str, suffix: str) -> dict[str, str]:
    """Save as 郑州市考核通报2026-10.pdf (RFC 6266's UTF-8 name), with an ASCII name for old clients."""
    name = quote(f"{tenant_name}考核通报{period}.{suffix}")
    return {"Content-Disposition": f'attachment; filename="{code}-assessment-{period}.{suffix}"; '
                                   f"filename*=UTF-8''{name}"}


async def _ranking(session: TenantSession, code: str, period: str, level: str | None = None) -> dict[str, Any]:
    try:
        return await service.ranking(session, code, period, level)
    except ValueError as exc:
        raise InvalidField("period", str(exc)) from None
    except OverflowError:  # 0001-01 has no month before it, 9999-12 none after
        raise InvalidField("period", "the period, or the one before it (for the movement), lies outside the "
                                     "calendar: give a month like 2026-10") from None


@router.get("/assessment", dependencies=READ)
async def ranking(tenant: CurrentTenant, session: TenantSession, period: Period, level: Level = None) -> Ranking:
    """The units this tenant assesses — its child tenants and its own departments — ranked by score for the
    period, with every indicator, the counts behind them, each score broken down indicator by indicator, the red
    list (红榜) and black list (黑榜), and each unit's movement against the period before (上期)."""
    return Ranking.model_validate(await _ranking(session, tenant.code, period, level))


@router.get("/assessment/report.xlsx", dependencies=READ, response_class=Response,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def report_xlsx(tenant: CurrentTenant, session: TenantSession, period: Period, level: Level = None) -> Response:
    """The monthly report (通报) as a workbook: one sheet per group with the movement against the period before,
    a chart, and the definitions."""
    body = documents.xlsx(await _ranking(session, tenant.code, period, level))
    return Response(body, media_type=XLSX, headers=_attachment(tenant.name, tenant.code, period, "xlsx"))


@router.get("/assessment/report.pdf", dependencies=READ, response_class=Response,
            responses={200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}},
                       503: {"description": "no Chinese font installed (error `report_font_missing`)"}})
async def report_pdf(request: Request, tenant: CurrentTenant, session: TenantSession, period: Period,
                     level: Level = None) -> Response:
    """The monthly 通报 as a PDF, as a centre publishes it: the issuing centre, title, period and date, the whole
    subtree's figures, each group's ranking with its red and black lists, movement and a chart of the scores,
    and the indicators' definitions."""
    report = await _ranking(session, tenant.code, period, level)
    issuer = await service.issuing_centre(session, tenant.code, report["tenant_name"])
    issued = request.app.state.clock().astimezone(CST).date()
    body = await run_in_threadpool(bulletin.pdf, report, issuer, issued)  # CPU-bound typesetting: off the loop
    return Response(body, media_type=PDF, headers=_attachment(tenant.name, tenant.code, period, "pdf"))


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


@router.get("/assessment/settings", response_model=AssessmentSettingsOut, response_model_by_alias=True,
            dependencies=READ)
async def get_settings(tenant: CurrentTenant, session: TenantSession) -> AssessmentSettingsOut:
    """The assessment settings in force here (weights, groups, hot-spot rules …), where they come from (this
    tenant, its nearest ancestor that set its own, or "defaults"), and every indicator's name."""
    settings, source = await effective(session, tenant.code)
    return AssessmentSettingsOut.model_validate(
        {"from": source or "defaults", "settings": settings, "indicators": indicator_catalog()})


@router.put("/assessment/settings", response_model=AssessmentSettingsOut, response_model_by_alias=True,
            dependencies=[Depends(TenantGuard("assessment", "write"))])
async def put_settings(tenant: CurrentTenant, session: TenantSession, actor: CurrentActor,
                       settings: AssessmentSettings) -> AssessmentSettingsOut:
    """Set this tenant's assessment settings (for it and its subtree); missing fields take the defaults. Recorded
    in the history of administration with the settings in force before."""
    await set_settings(session, tenant.code, settings, actor)
    return await get_settings(tenant, session)


@router.delete("/assessment/settings", response_model=AssessmentSettingsOut, response_model_by_alias=True,
               dependencies=[Depends(TenantGuard("assessment", "write"))])
async def delete_settings(tenant: CurrentTenant, session: TenantSession, actor: CurrentActor) -> AssessmentSettingsOut:
    """Remove this tenant's own settings: the nearest ones above (or the defaults) apply again."""
    await remove_settings(session, tenant.code, actor)
    return await get_settings(tenant, session)


