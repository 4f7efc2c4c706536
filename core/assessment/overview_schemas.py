"""API shapes of the overview (总览): the headline numbers of a subtree or a unit, its children's and units' tiles,
and the daily trend. Typed, so the OpenAPI document and the console's generated client carry them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from infra.times import Time
from tenants.codes import Level


class OverviewNumbers(BaseModel):
    """One tile's numbers. ``intake_today``, ``open``, ``yellow``, ``red`` and ``urged`` are live (now); the others
    count the records of the period (their cohort: the day each entered its tenant's hands, docs/assessment.md)."""

    intake_today: int = Field(description="今日受理: records that entered today (a unit: dispatches given it today)")
    open: int = Field(description="在办: open records now")
    yellow: int = Field(description="临期 (黄灯): open, due within one working day")
    red: int = Field(description="超期 (红灯): open and past their limit now")
    urged: int = Field(description="督办中: open records that were urged")
    escalated: int = Field(description="上报: escalations of the period's records")
    overdue: int = Field(description="超期: the period's records that went past their limit")
    closed: int = Field(description="办结: the period's records closed")
    rated: int = Field(description="回访: the period's records rated by the citizen")
    satisfaction_rate: float | None = Field(description="满意率 of the period (None: nobody rated yet)")


class TenantTile(OverviewNumbers):
    """A tenant's subtree (a child level, or the tenant itself as the total)."""

    code: str
    name: str
    level: Level


class UnitTile(OverviewNumbers):
    """A unit (科室/部门) of the tenant: what it was given and holds."""

    id: int
    name: str
    kind: str
    active: bool


class TenantName(BaseModel):
    code: str
    name: str
    level: Level


class OverviewPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    at: Time = Field(description="when the live numbers were read")
    period: str = Field(description="the period asked for (a month, or days)")
    from_: date = Field(alias="from", description="the period's first day")
    to: date = Field(description="the period's last day")


class Overview(OverviewPeriod):
    """实时总览 of a tenant: its subtree's numbers, a tile per child level and per unit, the open hot-spot alerts."""

    tenant: TenantName
    lineage: list[TenantName] = Field(description="the tenants above it, from the province down (for a breadcrumb)")
    total: TenantTile
    children: list[TenantTile]
    units: list[UnitTile]
    open_alerts: int = Field(description="open hot-spot alerts (热点预警) of the subtree")


class UnitOverview(OverviewPeriod):
    """One unit's overview: its numbers (drilled to from its tenant's)."""

    tenant: TenantName
    lineage: list[TenantName]
    unit: UnitTile


class TrendDay(BaseModel):
    day: date
    intake: int = Field(description="records that entered that day (a unit: dispatches given it)")
    closed: int = Field(description="of them, closed by now")
    overdue: int = Field(description="of them, past their limit")


class Trend(BaseModel):
    """The daily trend, by the day records entered (their cohort day)."""

    model_config = ConfigDict(populate_by_name=True)

    tenant: str
    unit: int | None
    from_: date = Field(alias="from")
    to: date
    days: list[TrendDay] = Field(description="every day from..to, zeros included")
