"""API shapes of routing rules (派单目录)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from infra.edge import Id


class RoutingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$",
                          description="a category code or the prefix of some (a major category: all its minors)")
    division_code: str | None = Field(None, pattern=r"^\d{2,12}$",
                                      description="a division code prefix in this tenant's area; none: anywhere")
    to: Id | str = Field(description="a unit id of this tenant, or the code of a tenant below it")
    co_handlers: list[Id] = Field(default_factory=list, max_length=10, description="co-handling (协办) unit ids")
    note: str | None = Field(None, max_length=500)


class RoutingRuleOut(BaseModel):
    id: int
    category: str
    division_code: str | None
    division_label: str | None = Field(None, description="the division's name (a level of the tenant tree)")
    to: int | str
    to_label: str = Field(description="the unit's or the tenant's name")
    co_handlers: list[int]
    note: str | None

