"""The refusals of the category taxonomy (诉求分类), by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, Forbidden, InvalidField, NotFound


class CategoryExists(Conflict):
    """A code is unique along a tenant's lineage: the tenant would otherwise hide a category of a level above."""

    code = ErrorCode.category_exists

    def __init__(self, code: str, tenant_code: str) -> None:
        super().__init__(f"the category {code} already exists for tenant {tenant_code} (its own or a level's above)",
                         params={"code": code, "tenant": tenant_code})


class UnknownParentCategory(InvalidField):
    def __init__(self, code: str) -> None:
        super().__init__("parent_code", f"there is no category {code} to be the parent")


class CodeOutsideParent(InvalidField):
    """Routing rules and statistics take a category's code prefix for the category and everything under it, so
    a minor's code begins with its major's."""

    def __init__(self, code: str, parent_code: str) -> None:
        super().__init__("code", f"a category under {parent_code} has a code that begins with {parent_code} and is "
                                 f"longer (e.g. {parent_code}90), not {code}")


class CategoryNotFound(NotFound):
    code = ErrorCode.category_not_found

    def __init__(self, code: str, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no category {code}")


class CategoryNotYours(Forbidden):
    """A tenant changes its own extensions only; the province's admin changes the province's taxonomy."""

    code = ErrorCode.category_not_yours

    def __init__(self, code: str, owner: str, tenant_code: str) -> None:
        super().__init__(f"the category {code} belongs to tenant {owner}: only its admin changes it, "
                         f"not tenant {tenant_code}'s")


class CategoryHasChildren(Conflict):
    """A category in use as a parent cannot be taken out of use before the categories under it."""

    code = ErrorCode.category_has_children

    def __init__(self, code: str, children: list[str]) -> None:
        super().__init__(f"the category {code} still has categories in use under it ({', '.join(children[:5])}): "
                         "take those out of use first")
