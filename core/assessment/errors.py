"""The refusals of assessment (考核) and its reads, by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from infra.error_codes import ErrorCode
from infra.refusals import NotFound, Unavailable


class ReportFontMissing(Unavailable):
    """The PDF 通报 is typeset in a Chinese font from Debian's packages; without one it is not made at all (a
    report of empty boxes is worse than none). Retrying does not help until the package is installed."""

    code = ErrorCode.report_font_missing

    def __init__(self, package: str, looked_in: list[str]) -> None:
        super().__init__(f"the PDF report needs a Chinese (CJK) font and none is installed: install Debian's "
                         f"package {package} (apt-get install {package}); looked for {', '.join(looked_in)}",
                         params={"package": package}, package=package)

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class AlertNotFound(NotFound):
    """No such alert at this level or below it (one of another city is not there, for this asker)."""

    code = ErrorCode.alert_not_found

    def __init__(self, alert_id: int, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no hot-spot alert {alert_id} at its level or below")
