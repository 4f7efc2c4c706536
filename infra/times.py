"""Times on the API's surface: one form everywhere, ISO 8601 with the province's offset (``+08:00``).

Deadlines and working days are China time and the console shows them so; the database hands times back in
UTC and the clock runs in UTC, so without one rule a response mixed ``Z`` and ``+08:00``. Every response
schema's time is a ``Time``; free-form JSON a response carries (an event's payload, a pending extension, the
cross-level timeline) is a ``TimedJson``, whose time strings are said the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema

PROVINCE_ZONE = ZoneInfo("Asia/Shanghai")

# A full date and time with an offset, as isoformat and pydantic write them: what a stored payload holds.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
# A person's words in a payload stay as they were written, even one that reads like a time.
_WORDS = frozenset({"content", "note", "reason", "reply", "title", "answer", "name"})


def province_time(moment: datetime) -> str:
    """``moment`` as ISO 8601 in the province's offset, e.g. ``2026-10-09T10:00:00+08:00``."""
    if moment.tzinfo is None:  # a naive time here is a database's UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PROVINCE_ZONE).isoformat()


def province_times(value: Any, key: str | None = None) -> Any:
    """Free-form JSON with every time in it (a datetime, or a string that is a full ISO time) in the province's
    offset; everything else as it was."""
    if isinstance(value, datetime):
        return province_time(value)
    if isinstance(value, str):
        if key not in _WORDS and _MOMENT.fullmatch(value):
            return province_time(datetime.fromisoformat(value))
        return value
    if isinstance(value, dict):
        return {k: province_times(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [province_times(v, key) for v in value]
    return value


_TIME_SCHEMA = {"type": "string", "format": "date-time", "examples": ["2026-10-09T10:00:00+08:00"]}

# A response's time: ISO 8601 with the province's offset.
Time = Annotated[datetime, PlainSerializer(province_time, return_type=str, when_used="json"),
                 WithJsonSchema(_TIME_SCHEMA, mode="serialization")]
# A response's free-form JSON object: its times as ``Time``'s.
TimedJson = Annotated[dict[str, Any], PlainSerializer(province_times, return_type=dict[str, Any], when_used="json")]
