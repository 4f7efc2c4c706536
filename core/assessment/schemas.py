"""Response shapes of statistics (统计分析), the hot-spot map (热点地图) and hot-spot alerts (热点预警)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from infra.times import Time


class StatDimension(StrEnum):
    """What a statistics table counts by."""

    category = "category"  # 类别 (the minor category, as registered)
    major_category = "major_category"  # 大类
    channel = "channel"  # 渠道
    type = "type"  # 类型
    area = "area"  # 区域: the next level down the tree
    unit = "unit"  # 承办单位: this tenant's own units, by what each was assigned
    day = "day"  # 日
    month = "month"  # 月


class StatMeasure(StrEnum):
    """What the numbers of a statistics table are."""

    requests = "requests"  # 受理量: requests taken in the area (every level's intake, each request once)
    assigned = "assigned"  # 交办量: orders this tenant gave its own units (主办), re-dispatches included


class StatColumn(BaseModel):
    """One value of the second dimension (``then``): a column of the cross table, with its total."""

    key: str
    name: str | None = None
    count: int


class StatItem(BaseModel):
    """One value of the first dimension (``by``): a row, with its count by column when there is a ``then``."""

    key: str
    name: str | None = Field(None, description="the name a person reads (category, area, unit, channel, type)")
    count: int
    cells: dict[str, int] | None = Field(None, description="the count by column key (``then``)")


class Statistics(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    tenant: str
    tenant_name: str
    from_: date = Field(alias="from")
    to: date
    by: StatDimension
    then: StatDimension | None = None
    measure: StatMeasure
    area: str | None = Field(None, description="the area the table is limited to, if any")
    area_name: str | None = None
    total: int
    items: list[StatItem]
    columns: list[StatColumn] = Field(default_factory=list)


class AlertKind(StrEnum):
    spike = "spike"  # 突增: a category × area above its own baseline
    same_issue = "same_issue"  # 同一诉求: many citizens merged into one order


class AlertOut(BaseModel):
    """A hot-spot alert (热点预警) episode, with the names a person reads."""

    id: int
    kind: AlertKind
    key: str
    tenant_code: str = Field(description="the level that must act")
    tenant_name: str | None = None
    category: str | None = None
    category_name: str | None = None
    area: str | None = None
    area_name: str | None = None
    count: int
    baseline: float
    detail: dict[str, Any]
    opened_at: Time
    last_seen_at: Time
    closed_at: Time | None = None


class AlertOrder(BaseModel):
    """One request behind an alert, as the record a person may open (``/console/orders/{number}``)."""

    number: str
    tenant_code: str
    tenant_name: str
    title: str
    status: str
    category: str | None = None
    category_name: str | None = None
    division_code: str | None = None
    created_at: Time
    handle_deadline: Time | None = None


class AlertOrders(BaseModel):
    alert: AlertOut
    since: Time = Field(description="the window's start: the requests counted from here")
    until: Time = Field(description="the alert's close, or now while it is open")
    items: list[AlertOrder]
    truncated: bool = Field(description="more requests than the list holds (it keeps the newest)")


class HotspotArea(BaseModel):
    """One area (区县) of the hot-spot map, with what colours it."""

    code: str
    name: str
    mapped: bool = Field(description="the map draws it (development zones have no boundary of their own)")
    requests: int = Field(description="requests taken in the area in the period (受理量)")
    open: int | None = Field(None, description="open orders its hotline holds now (None: not a tenant)")
    overdue: int | None = Field(None, description="of those, past their limit now (超期未办结)")
    population: int | None = Field(None, description="resident population, where a census table was loaded")
    population_year: int | None = None
    per_10k: float | None = Field(None, description="requests per 10,000 residents (None without a population)")


class HotspotMap(BaseModel):
    tenant: str
    tenant_name: str
    from_: date = Field(alias="from")
    to: date
    model_config = ConfigDict(populate_by_name=True)
    areas: list[HotspotArea]
    unplaced: int = Field(description="requests whose place is no finer than this level (no area to colour)")
    population_source: str | None = Field(None, description="where the population figures come from")


class MapSource(BaseModel):
    package: str
    version: str
    licence: str
    origin: str


class AreaFeature(BaseModel):
    type: str = "Feature"
    properties: dict[str, str]
    geometry: dict[str, Any]


class AreaMap(BaseModel):
    """A GeoJSON FeatureCollection of the tenant's areas (each feature's ``properties.code`` its GB/T 2260 code)."""

    type: str = "FeatureCollection"
    tenant: str
    level: str = Field(description="what the features are: county (区县), or none for a town")
    source: MapSource
    features: list[AreaFeature]
