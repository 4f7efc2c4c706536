"""The refusals of units (承办单位), by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, InvalidField, NotFound


class UnitExists(Conflict):
    code = ErrorCode.unit_exists

    def __init__(self, code: str) -> None:
        super().__init__(f"a unit with the code {code} already exists in this tenant", params={"code": code})


class UnitNotFound(NotFound):
    code = ErrorCode.unit_not_found

    def __init__(self, unit_id: int, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no unit {unit_id}", params={"unit": unit_id, "tenant": tenant_code})


class UnknownParentUnit(InvalidField):
    def __init__(self, unit_id: int) -> None:
        super().__init__("parent_id", f"there is no unit {unit_id} in this tenant to be the parent")

