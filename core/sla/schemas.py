"""API shapes of time limits (时限) and the working-day calendar (工作日历)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.vocabulary import OrderType, Urgency
from infra.edge import Day, Flag, Whole


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: Day
    workday: Flag
    name: str | None = Field(None, max_length=50)


class CalendarYearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[CalendarDayIn] = Field(max_length=366, description="Holidays (workday false) and make-up "
                                                                 "working days (workday true); other days follow "
                                                                 "the weekday rule.")


class LimitOut(BaseModel):
    value: int
    unit: str


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Whole = Field(ge=1, le=720)
    unit: str = Field(pattern="^(hours|working_days)$")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OrderType
    urgency: Urgency
    sign: LimitIn
    handle: LimitIn


class PolicyOut(BaseModel):
    type: OrderType
    urgency: Urgency
    sign: LimitOut
    handle: LimitOut


class ReworkLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working_days: Whole = Field(ge=1, le=60, description="working days to handle an order again (重办时限)")


class ReworkLimitOut(ReworkLimit):
    source: str = Field(alias="from", description='the tenant that set it, or "default"')
