"""Assessment settings (考核办法): definitions, weights, groups and hot-spot rules.

Each assessing tenant may keep its own; otherwise its nearest ancestor's apply, and the
province's apply to the whole province. Missing fields take the defaults below.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.assessment.indicators import INDICATORS, Definitions
from infra.edge import Real, Whole
from tenants.codes import lineage


class Group(BaseModel):
    """Assessed units compete within their group (区县 vs 市直部门), each scored out of its maximum."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=50)
    max_score: Real = Field(gt=0, le=1000)


class HotspotRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_hours: Whole = Field(24, ge=1, le=168, description="the sliding window watched")
    baseline_days: Whole = Field(7, ge=1, le=90, description="the days before the window that make the baseline")
    min_count: Whole = Field(10, ge=2, le=100_000, description="fewer requests than this in the window never alert")
    z: Real = Field(3.0, gt=0, le=20, description="how many standard deviations (Poisson) above the baseline")
    same_issue_citizens: Whole = Field(5, ge=2, le=10_000,
                                     description="an order merging this many citizens' requests alerts")


class AssessmentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basic_satisfaction_factor: Real = Field(0.9, ge=0, le=1, description="基本满意 counts as this much of 满意")
    exclude_from_base: list[Literal["merged", "declined"]] = Field(
        default_factory=lambda: ["merged", "declined"],
        description="requests left out of the base of 超期率 and 督办率: merged duplicates, declined/redirected")
    on_time_basis: Literal["due", "closed"] = Field(
        "due", description="按时办结率 over closed-on-time + overdue (open orders past their limit count "
                           "against it) or over closed orders only")
    weights: dict[str, Real] = Field(
        default_factory=lambda: {"contact_rate": 0.1, "satisfaction_rate": 0.4, "resolution_rate": 0.5})
    groups: dict[str, Group] = Field(default_factory=lambda: {
        "tenants": Group(name="下级行政区 (区县/乡镇)", max_score=100),
        "departments": Group(name="部门 (本级承办单位)", max_score=100)})
    list_size: Whole = Field(3, ge=1, le=50, description="how many units the red list and the black list name")
    hotspots: HotspotRules = Field(default_factory=HotspotRules)

    def definitions(self) -> Definitions:
        return Definitions(self.basic_satisfaction_factor, frozenset(self.exclude_from_base), self.on_time_basis)

    @field_validator("weights")
    @classmethod
    def _known_indicators(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicator(s) {', '.join(unknown)}; known: {', '.join(INDICATORS)}")
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise ValueError("weights must be non-negative and at least one positive")
        return weights

    @field_validator("groups")
    @classmethod
    def _both_groups(cls, groups: dict[str, Group]) -> dict[str, Group]:
        missing = {"tenants", "departments"} - set(groups)
        if missing or len(groups) != 2:
            raise ValueError("groups are exactly 'tenants' and 'departments'")
        return groups


SETTINGS_SQL = "SELECT tenant_code, settings FROM public.assessment_settings WHERE tenant_code = ANY(:codes)"


def nearest(code: str, rows: list[tuple[str, Any]]) -> tuple[AssessmentSettings, str | None]:
    """The settings that apply at ``code`` and the tenant they come from (None: the defaults)."""
    by_code = {tenant: json.loads(value) if isinstance(value, str) else value for tenant, value in rows}
    for ancestor in reversed(lineage(code)):
        if ancestor in by_code:
            return AssessmentSettings.model_validate(by_code[ancestor]), ancestor
    return AssessmentSettings(), None


async def effective(conn: AsyncConnection | AsyncSession, code: str) -> tuple[AssessmentSettings, str | None]:
    rows = (await conn.execute(text(SETTINGS_SQL), {"codes": lineage(code)})).all()
    return nearest(code, [(r[0], r[1]) for r in rows])


async def effective_raw(conn: asyncpg.Connection, code: str) -> AssessmentSettings:
    rows = await conn.fetch(SETTINGS_SQL.replace(":codes", "$1::text[]"), lineage(code))
    return nearest(code, [(r[0], r[1]) for r in rows])[0]
