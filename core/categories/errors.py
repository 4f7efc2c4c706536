"""The refusals of the category taxonomy (诉求分类), by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, InvalidField


class CategoryExists(Conflict):
    """A code is unique along a tenant's lineage: the tenant would otherwise hide a category of a level above."""

    code = ErrorCode.category_exists

    def __init__(self, code: str, tenant_code: str) -> None:
        super().__init__(f"the category {code} already exists for tenant {tenant_code} (its own or a level's above)",
                         params={"code": code, "tenant": tenant_code})


class UnknownParentCategory(InvalidField):
    def __init__(self, code: str) -> None:
        super().__init__("parent_code", f"there is no category {code} to be the parent")
