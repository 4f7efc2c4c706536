"""The refusals of a request's tenant, by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import DomainError, Gone, NotFound, Unavailable


class NotATenantCode(DomainError):
    code = ErrorCode.invalid_tenant_code

    def __init__(self, code: str) -> None:
        super().__init__(f"{code!r} is not a division code: a GB/T 2260 code has 2, 4, 6 or 9 digits")


class TenantNotFound(NotFound):
    code = ErrorCode.tenant_not_found

    def __init__(self, code: str) -> None:
        super().__init__(f"there is no tenant {code}", params={"code": code})


class TenantDisabled(Gone):
    code = ErrorCode.tenant_disabled

    def __init__(self, code: str, name: str) -> None:
        super().__init__(f"tenant {code} ({name}) is disabled", params={"tenant": code, "tenant_name": name})


class TenantNotReady(Unavailable):
    """Registered, its schema not migrated yet: a matter of seconds."""

    code = ErrorCode.tenant_not_ready

    def __init__(self, code: str, name: str) -> None:
        super().__init__(f"tenant {code} ({name}) is still being set up; retry in a few seconds",
                         params={"tenant": code, "tenant_name": name})
