"""API shapes of handling units (承办单位)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.units.models import UnitKind
from infra.edge import Flag, Id
from infra.times import Time


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind
    parent_id: Id | None = None
    phone: str | None = Field(None, max_length=40)


class UnitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Absent: unchanged. ``null`` is refused (422) where the column is NOT NULL; the phone may be cleared.
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    phone: str | None = Field(None, max_length=40)
    active: Flag = None  # type: ignore[assignment]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    phone: str | None
    active: bool
    created_at: Time
