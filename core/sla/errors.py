"""The refusals of time limits (时限) and the working-day calendar, by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from collections.abc import Sequence

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, Forbidden, InvalidField


class NoTimeLimit(Conflict, LookupError):
    """No policy of the tenant's lineage covers this type and urgency: the province's defaults are missing."""

    code = ErrorCode.no_time_limit

    def __init__(self, type_: str, urgency: str) -> None:
        kind = f"{urgency} {type_}".replace("_", " ")
        super().__init__(f"no time limit is set for {kind} orders: an admin of the province or of this tenant "
                         "sets one under time-limits", params={"type": type_, "urgency": urgency})


class CalendarForProvince(Forbidden):
    """The State Council's holiday schedule is one for the whole province."""

    code = ErrorCode.calendar_for_province

    def __init__(self) -> None:
        super().__init__("only the province's admin enters the working-day calendar")


class DaysOutsideYear(InvalidField):
    def __init__(self, year: int, days: Sequence[str]) -> None:
        super().__init__("days", f"every day must be in {year}; these are not: {', '.join(days[:5])}")
