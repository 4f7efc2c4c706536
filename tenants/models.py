"""The tenant registry (shared schema): one row per province, city, district and town."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import SharedBase


class TenantStatus(StrEnum):
    provisioning = "provisioning"  # registered; its schema is not migrated yet
    active = "active"
    disabled = "disabled"


class Tenant(SharedBase):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("level IN ('province','city','district','town')", name="level"),
        CheckConstraint("status IN ('provisioning','active','disabled')", name="status"),
        CheckConstraint("code ~ '^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3})?)?)?$'", name="code"),
        Index("ix_tenants_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"), index=True)
    path: Mapped[str] = mapped_column(String(40), unique=True)
    depth: Mapped[int] = mapped_column(SmallInteger)
    schema_name: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=TenantStatus.provisioning)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
