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
from core.sla.errors import NotSetHere
from iam.actors import Actor
from infra.change_log import Change, ChangeAction, ChangeSubject, record
from infra.edge import Real, Whole
from tenants.codes import lineage


class Group(BaseModel):
    """Assessed units compete within their group (区县 vs 市直部门), each scored out of its maximum."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="the group's name on reports")
    max_score: Real = Field(gt=0, le=1000)

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("a group needs a name")
        return name.strip()


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
        if any(w < 0 or w > 100 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise ValueError("weights are between 0 and 100, and at least one is above 0")
        return weights

    @field_validator("groups")
    @classmethod
    def _both_groups(cls, groups: dict[str, Group]) -> dict[str, Group]:
        missing = {"tenants", "departments"} - set(groups)
        if missing or len(groups) != 2:
            raise ValueError("groups are exactly 'tenants' and 'departments'")
        return groups


class IndicatorInfo(BaseModel):
    """An indicator a weight may be given to, as reports name it."""

    key: str
    name: str
    higher_is_better: bool


class AssessmentSettingsOut(BaseModel):
    source: str = Field(alias="from", description='the tenant whose settings are in force here, or "defaults"')
    settings: AssessmentSettings
    indicators: list[IndicatorInfo] = Field(description="every indicator, with its Chinese name")


def indicator_catalog() -> list[IndicatorInfo]:
    return [IndicatorInfo(key=i.key, name=i.name, higher_is_better=i.higher_is_better) for i in INDICATORS.values()]


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


def _as_record(settings: AssessmentSettings, source: str | None) -> dict[str, Any]:
    return {"settings": settings.model_dump(mode="json"), "from": source or "defaults"}


async def _lock_and_read(session: AsyncSession, code: str) -> tuple[AssessmentSettings, str | None]:
    """The settings in force at ``code`` read under a lock, so concurrent changes each record the real old value."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline.assessment_settings'))"))
    return await effective(session, code)


async def set_settings(session: AsyncSession, code: str, settings: AssessmentSettings, actor: Actor) -> None:
    """Set ``code``'s assessment settings (for it and its subtree), recorded with the ones in force before.
    Commits."""
    before, source = await _lock_and_read(session, code)
    if source == code and before == settings:
        await session.rollback()
        return
    await session.execute(text(
        "INSERT INTO public.assessment_settings (tenant_code, settings, updated_by) VALUES (:t, CAST(:s AS jsonb), :u) "
        "ON CONFLICT (tenant_code) DO UPDATE SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by, "
        "updated_at = now()"), {"t": code, "s": json.dumps(settings.model_dump()), "u": actor.user})
    await record(session, Change(
        tenant=code, subject=ChangeSubject.assessment_settings, key=code,
        action=ChangeAction.update if source == code else ChangeAction.create, actor=actor.user,
        actor_name=actor.name, old=_as_record(before, source), new=_as_record(settings, code)))
    await session.commit()


async def remove_settings(session: AsyncSession, code: str, actor: Actor) -> None:
    """Remove ``code``'s own settings: the nearest ones above (or the defaults) apply again. Commits."""
    before, source = await _lock_and_read(session, code)
    if source != code:
        raise NotSetHere("assessment settings", code)
    await session.execute(text("DELETE FROM public.assessment_settings WHERE tenant_code = :t"), {"t": code})
    after, after_source = await effective(session, code)
    await record(session, Change(
        tenant=code, subject=ChangeSubject.assessment_settings, key=code, action=ChangeAction.delete,
        actor=actor.user, actor_name=actor.name, old=_as_record(before, code), new=_as_record(after, after_source)))
    await session.commit()
