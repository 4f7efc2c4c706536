"""The refusals of time limits (时限) and the working-day calendar, by name (answered over HTTP by ``infra.errors``)."""

from __future__ import annotations

from collections.abc import Sequence

from infra.error_codes import ErrorCode
from infra.refusals import Conflict, Forbidden, InvalidField, NotFound


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


class ScheduleWithoutHolidays(InvalidField):
    """An empty schedule would mark a year known while it holds nothing but weekends."""

    def __init__(self, year: int) -> None:
        super().__init__("days", f"the schedule of {year} lists no day: enter its holidays (元旦, 春节 …) and make-up "
                                 "working days, or leave the year unentered (estimated on weekends)")


class NotSetHere(NotFound):
    """A tenant removes only a setting it made itself; what it follows from above stays its setter's."""

    code = ErrorCode.not_set_here

    def __init__(self, what: str, tenant_code: str) -> None:
        super().__init__(f"tenant {tenant_code} has no {what} of its own to remove: it follows the one set above it")


class YearNotStored(NotFound):
    """Only a year entered or imported has something to remove."""

    code = ErrorCode.not_set_here

    def __init__(self, year: int) -> None:
        super().__init__(f"nothing was entered or imported for {year}: it already follows the chinese-calendar "
                         "package, or the weekends where the package does not know it")


class TimeLimitRequired(Conflict):
    """The province's defaults are what every order falls back on: one cannot be removed, only changed."""

    code = ErrorCode.time_limit_required

    def __init__(self, type_: str, urgency: str) -> None:
        super().__init__(f"the province's time limit for {urgency.replace('_', ' ')} {type_} orders is the default "
                         "of every level: change it instead of removing it")


class YearUnknownToPackage(Conflict):
    """Only a year the chinese-calendar package knows can be imported from it."""

    code = ErrorCode.calendar_year_unknown

    def __init__(self, year: int) -> None:
        super().__init__(f"the chinese-calendar package does not know the holidays of {year}: enter the State "
                         "Council's schedule for it instead", params={"year": year})
