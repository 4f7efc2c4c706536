"""API shapes of tenants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TenantRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str


class TenantDetail(TenantRef):
    path: str
    status: str
    parent: TenantRef | None
    ancestors: list[TenantRef]
    children: list[TenantRef]
    descendant_counts: dict[str, int]
