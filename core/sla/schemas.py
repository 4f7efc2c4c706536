"""API shapes of time limits (时限) and the working-day calendar (工作日历)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.vocabulary import OrderType, Urgency
from infra.edge import Day, Flag, Whole
from infra.times import Time


class LimitUnit(StrEnum):
    hours = "hours"  # 小时: clock time, holidays included (urgent orders)
    working_days = "working_days"  # 工作日: on the working-day calendar


class CalendarSource(StrEnum):
    """Where the working days of a year come from."""

    chinese_calendar = "chinese_calendar"  # the chinese-calendar package knows the year
    imported = "imported"  # copied from the package into the province's calendar (then editable)
    entered = "entered"  # the State Council's schedule as a province admin entered it
    estimated = "estimated"  # nobody knows it yet: weekends alone, every deadline flagged estimated


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    workday: Flag = Field(description="false: a holiday (放假); true: a make-up working day on a weekend (调休上班)")
    name: str | None = Field(None, max_length=50, description="元旦, 春节 …")


class CalendarYearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[CalendarDayIn] = Field(max_length=366, description="Holidays (workday false) and make-up "
                                                                 "working days (workday true); other days follow "
                                                                 "the weekday rule.")


class CalendarYearOut(BaseModel):
    year: int
    source: CalendarSource
    package_knows: bool = Field(description="whether the chinese-calendar package knows this year (it can be "
                                            "imported)")
    days: list[CalendarDayIn] = Field(description="the year's holidays and make-up working days, by date")
    entered_at: Time | None = None
    entered_by: str | None = Field(None, description="who entered or imported it (a person's name)")


class LimitOut(BaseModel):
    value: int
    unit: LimitUnit


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Whole = Field(ge=1, le=720, description="at most 720 hours or 60 working days")
    unit: LimitUnit


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OrderType
    urgency: Urgency
    sign: LimitIn
    handle: LimitIn


class PolicyOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: OrderType
    urgency: Urgency
    sign: LimitOut
    handle: LimitOut
    source: str = Field(alias="from", description="the tenant whose setting is in force here (the province's code "
                                                  "for the province's defaults)")


class ReworkLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working_days: Whole = Field(ge=1, le=60, description="working days to handle an order again (重办时限)")


class ReworkLimitOut(ReworkLimit):
    source: str = Field(alias="from", description='the tenant that set it, or "default"')
