"""The ranking's shape on the API (考核排名): the units ranked in their groups, every indicator, each score broken
down indicator by indicator, and each unit's movement against the period before.

``service.ranking`` builds it as plain data (the reports draw from the same data); the API validates it into
these models, so the OpenAPI document — and the console's generated client — carry every field.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SubjectKind(StrEnum):
    """What is ranked: a tenant of a level below (下级行政区) or a unit of the tenant itself (部门)."""

    tenant = "tenant"
    unit = "unit"


class GroupKey(StrEnum):
    """The two groups a tenant ranks, each in its own table and with its own maximum score."""

    tenants = "tenants"  # 下级行政区
    departments = "departments"  # 部门


class Movement(StrEnum):
    """A unit's rank against the period before (较上期)."""

    up = "up"  # 上升
    down = "down"  # 下降
    same = "same"  # 持平
    new = "new"  # ranked now, not then (新进入排名)
    unranked = "unranked"  # nothing to score this period (本期无排名)


class Board(StrEnum):
    """The lists a ranking names: 红榜 (the best) and 黑榜 (the worst)."""

    red = "red"
    black = "black"


class IndicatorDefinition(BaseModel):
    """An indicator as the reports define it, with its weight in the score under the settings in force."""

    name: str = Field(description="its Chinese name, e.g. 及时签收率")
    higher_is_better: bool
    definition: str = Field(description="what it measures, in Chinese")
    numerator: str = Field(description="the count above the line (分子), in Chinese")
    denominator: str = Field(description="the count below the line (分母), in Chinese")
    weight: float = Field(description="its weight in the score; 0: shown, not scored")


class ScorePart(BaseModel):
    """One weighted indicator's part of a unit's score (得分构成)."""

    indicator: str = Field(description="the indicator's key (see the ranking's `indicators`)")
    value: float | None = Field(description="the rate in [0, 1]; null: no value this period, left out of the score")
    weight: float
    points: float = Field(description="the part of the maximum score it carries this period (分值)")
    earned: float = Field(description="the points it earned (得分); the parts add up to the score")
    lost: float = Field(description="the points it lost (失分)")
    numerator: float = Field(description="the count above the line behind the value")
    denominator: float = Field(description="the count below the line behind the value")


class RankedUnit(BaseModel):
    """One assessed unit: its rank and score, every indicator, the counts behind them, how its score is made up,
    and where it stood the period before."""

    kind: SubjectKind
    id: str = Field(description="a tenant's code or a unit's id")
    name: str
    rank: int | None = Field(description="ties share a rank; null: nothing to score this period")
    score: float | None
    board: Board | None = Field(description="on the red list (红榜) or the black list (黑榜)")
    indicators: dict[str, float | None] = Field(description="every indicator's value in [0, 1], or null")
    counts: dict[str, int] = Field(description="the counters summed over the period")
    breakdown: list[ScorePart] = Field(description="the score indicator by indicator (the weighted indicators)")
    previous_rank: int | None = Field(description="the rank the period before")
    previous_score: float | None
    rank_change: int | None = Field(description="places gained since the period before (negative: lost)")
    score_change: float | None = Field(description="the score less the score of the period before")
    movement: Movement


class RankingGroup(BaseModel):
    group: GroupKey
    name: str
    max_score: float
    ranking: list[RankedUnit]
    red_list: list[str] = Field(description="the ids on the red list (红榜), best first")
    black_list: list[str] = Field(description="the ids on the black list (黑榜), worst first")


class Totals(BaseModel):
    """The assessing tenant's whole subtree: each request counted once."""

    counts: dict[str, int]
    indicators: dict[str, float | None]


class Ranking(BaseModel):
    """The units a tenant assesses — its child tenants (or every tenant of a level below) and its own
    departments — ranked by score for the period, with the period before for their movement."""

    model_config = ConfigDict(populate_by_name=True)

    tenant: str
    tenant_name: str
    period: str
    from_: str = Field(alias="from", description="the first day of the period")
    to: str = Field(description="the last day of the period")
    previous_period: str = Field(description="the period the movement is measured against (上期)")
    previous_from: str
    previous_to: str
    level: str | None = Field(description="the level of the ranked tenants when asked for (e.g. town); null: children")
    settings_from: str
    weights: dict[str, float]
    basic_satisfaction_factor: float
    exclude_from_base: list[str]
    on_time_basis: str
    indicators: dict[str, IndicatorDefinition]
    total: Totals
    groups: list[RankingGroup]
