"""The input rule at the edge (输入校验): what PostgreSQL cannot hold is a 422 naming the field, never a 500.

One rule for every route, run before any of them:

- no NUL or other control character in a path or query parameter, nor in any JSON string of a body
  (keys too); in bodies tab, line feed and carriage return stay allowed (free text has lines);
- integers are 64-bit and dates lie in 1900..2200, and a body's JSON types are what the document says
  (no 0 for false, no "1" or true for a number, no number for a date): the types below, used by the
  schemas, say so in the OpenAPI document too (``Id``, ``whole``, ``Whole``, ``Real``, ``Flag``, ``Moment``,
  ``Day``);
- a PATCH may leave a field out, but not set a NOT NULL column to ``null``: such fields are typed
  ``str = Field(None, …)`` (absent → untouched; ``null`` → 422), and the document says "string", not "null".
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator, BeforeValidator, Field, Strict, WithJsonSchema

from infra.error_codes import ErrorCode
from infra.errors import ApiError

INT64_MAX = 2**63 - 1
EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
DATE_RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"

# Query and path parameters are one line; body text may have lines and tabs.
_PARAMETER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a JSON body holds if any of its strings has a control character: \b, \f or a \u escape of one (the
# others must be escaped in JSON), or DEL, which JSON lets through raw. A body without any is not parsed twice.
_ESCAPED_CONTROL = re.compile(rb"\\[bf]|\\u00[01][0-9a-fA-F]|\\u007[fF]|\x7f")
# The same rule as a JSON Schema pattern, so the document states it (ECMA-262 syntax).
PARAMETER_PATTERN = r"^[^\u0000-\u001f\u007f]*$"
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"


def moment_in_range(value: datetime) -> datetime:
    # The local date: converting year 1 or 9999 to UTC could itself overflow.
    if not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"must be {DATE_RANGE}")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be {DATE_RANGE}")
    return value


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_text(value: Any) -> Any:
    """Dates come as ISO 8601 text: pydantic would also take a number (or numeric text) as a Unix time."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date, not a number")
    return value


# In bodies a JSON number is not a boolean and true is not a number: pydantic's lax mode would take 0 for
# false, "1" or false for a number. Query and path parameters (always text) use Query/Path bounds instead.
def _json_number(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


Flag = Annotated[bool, Strict()]
# 3.0 is an integer to JSON Schema (and so to clients): taken, as 3; 3.5 is still refused.
Whole = Annotated[int, BeforeValidator(_json_number)]
Real = Annotated[float, Strict()]
# Bounds go before the validator: after it, pydantic leaves them out of an optional field's JSON Schema.
Id = Annotated[int, Field(ge=1, le=INT64_MAX, description="a database id"), BeforeValidator(_json_number)]


def whole(**bounds: int) -> Any:
    """``Whole`` with bounds, for optional fields (``whole(ge=1, le=60) | None``)."""
    return Annotated[int, Field(**bounds), BeforeValidator(_json_number)]
Moment = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(moment_in_range),
                   WithJsonSchema({"type": "string", "format": "date-time", "description": f"{DATE_RANGE}"})]
Day = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_day_in_range),
                WithJsonSchema({"type": "string", "format": "date", "description": f"{DATE_RANGE}"})]


def refusal(fields: list[dict[str, str]]) -> ApiError:
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return ApiError(422, ErrorCode.validation_error, detail, fields=fields)


def _text_faults(value: Any, where: str, out: list[dict[str, str]]) -> None:
    if isinstance(value, str):
        if _TEXT_CONTROL.search(value):
            out.append({"field": where or "body", "message": "control characters are not allowed"})
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{where}.{key}" if where else str(key)
            if _TEXT_CONTROL.search(str(key)):
                out.append({"field": where or "body", "message": "control characters are not allowed in keys"})
            _text_faults(item, child, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _text_faults(item, f"{where}.{index}" if where else str(index), out)


async def refuse_unsafe_input(request: Request) -> None:
    """App-wide dependency: the control-character rule over path, query and JSON body."""
    faults: list[dict[str, str]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and _PARAMETER_CONTROL.search(value):
            faults.append({"field": name, "message": "control characters are not allowed"})
    for name, value in request.query_params.multi_items():
        if _PARAMETER_CONTROL.search(value) or _PARAMETER_CONTROL.search(name):
            faults.append({"field": name, "message": "control characters are not allowed"})
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get("content-type", ""):
        raw = await request.body()
        if raw and _ESCAPED_CONTROL.search(raw):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None  # FastAPI answers malformed JSON itself, with a 422
            _text_faults(body, "", faults)
    if faults:
        raise refusal(faults)
