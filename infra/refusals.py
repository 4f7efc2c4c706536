"""The kinds of a rule's refusal: what the rules raise instead of an HTTP error.

A concrete refusal is named for what it refuses (``core/*/errors.py``, e.g. ``NotYourUnit``) and derives from one
kind here, which gives it its status; ``infra.errors`` answers every one the same way, ``{"error": code, "detail":
detail}``. Nothing here knows the web framework: the rules and their fast tests import it without one.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A rule's refusal, named for what it refuses; ``detail`` says it in plain words to the person asking.
    ``extra`` fields are added to the JSON body (e.g. the actions allowed instead)."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class Invalid(DomainError):
    """What was asked is not well formed or names what is not there (422)."""

    status, code = 422, "validation_error"


class InvalidField(Invalid):
    """One field of the request is refused; ``fields`` names it, for a form to show beside the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields=[{"field": field, "message": message}])
        self.field = field


class Forbidden(DomainError):
    """This person may not do this (403)."""

    status, code = 403, "forbidden"


class NotFound(DomainError):
    """What the request names is not there, or not for this person to see (404)."""

    status, code = 404, "not_found"


class Conflict(DomainError):
    """The state of things does not allow it now (409)."""

    status, code = 409, "conflict"


class TooLarge(DomainError):
    """What was sent is bigger than allowed (413)."""

    status, code = 413, "too_large"


class UnsupportedType(DomainError):
    """What was sent is of a kind not accepted here (415)."""

    status, code = 415, "unsupported_media_type"


class Gone(DomainError):
    """It was there and is no longer in use (410)."""

    status, code = 410, "gone"


class Unavailable(DomainError):
    """Not yet: the client retries after ``retry_after`` seconds (503)."""

    status, code = 503, "service_unavailable"
    retry_after: ClassVar[int] = 2

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}
