"""API shapes of tenants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tenants.codes import Level
from tenants.models import TenantStatus


class TenantRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: Level


class TenantDetail(TenantRef):
    path: str
    status: TenantStatus
    parent: TenantRef | None
    ancestors: list[TenantRef]
    children: list[TenantRef]
    descendant_counts: dict[str, int]
