"""A tenant's routing rules (派单目录), in its schema (tenant migration t0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import TenantBase


class RoutingRule(TenantBase):
    """Orders of ``category`` (a code prefix) from ``division_code`` (a prefix; '' for anywhere here) go to a unit
    of this tenant (``to_unit_id``) or to a tenant below (``to_tenant``), with co-handling units."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(12), server_default="")
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    to_tenant: Mapped[str | None] = mapped_column(String(9))
    co_handlers: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
