"""The category taxonomy (诉求分类): the province's, extended per tenant (shared schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Identity, Integer, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import SharedBase


class Category(SharedBase):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(12))
    # None: the province's own; a tenant code: that tenant's extension (visible in its subtree).
    owner_tenant: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_unit: Mapped[str | None] = mapped_column(String(40))
    handle_limit_days: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
