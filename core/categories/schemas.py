"""API shapes of the category taxonomy (诉求分类)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from infra.edge import Flag, whole


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=12, pattern=r"^[0-9A-Za-z-]+$")
    name: str = Field(min_length=1, max_length=100)
    parent_code: str | None = None
    default_unit: str | None = Field(None, max_length=40)
    handle_limit_days: whole(ge=1, le=60) | None = None


class CategoryChange(BaseModel):
    """What an admin changes of a category: only the fields sent (``handle_limit_days: null`` removes the
    category's own limit; the type's limit applies again)."""

    model_config = ConfigDict(extra="forbid")

    # Absent: unchanged; ``null`` is refused (a category always has a name), as a unit's PATCH refuses it.
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    active: Flag | None = Field(None, description="false: no longer offered for new orders (kept on old ones)")
    default_unit: str | None = Field(None, max_length=40)
    handle_limit_days: whole(ge=1, le=60) | None = Field(
        None, description="handle normal orders of this category within this many working days at most")
