"""Handling units (承办单位) of a tenant: departments, centres, offices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, String, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import TenantBase


class UnitKind(StrEnum):
    """What a handling unit (承办单位) is."""

    centre = "centre"  # 热线中心
    department = "department"  # 职能部门
    office = "office"  # 乡镇街道办事处
    enterprise = "enterprise"  # 公共企事业单位
    other = "other"  # 其他


UNIT_KINDS = tuple(UnitKind)


class Unit(TenantBase):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
