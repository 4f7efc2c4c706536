"""Shared-schema tables of time limits and the calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Identity, Integer, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import SharedBase


class SlaPolicy(SharedBase):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    owner_tenant: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"))
    type: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(12))
    sign_value: Mapped[int] = mapped_column(SmallInteger)
    sign_unit: Mapped[str] = mapped_column(String(12))
    handle_value: Mapped[int] = mapped_column(SmallInteger)
    handle_unit: Mapped[str] = mapped_column(String(12))


class CalendarDay(SharedBase):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(50))


class CalendarYear(SharedBase):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(String(12), server_default="entered")  # entered | imported (s0023)
    entered_by: Mapped[str | None] = mapped_column(String(100))
