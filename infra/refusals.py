"""The kinds of a rule's refusal: what the rules raise instead of an HTTP error.

A concrete refusal is named for what it refuses (``core/*/errors.py``, e.g. ``NotYourUnit``) and derives from one
kind here, which gives it its status; ``infra.errors`` answers every one the same way, ``{"error": code, "detail":
detail, "params": {…}}``. Its code is one of ``ErrorCode`` (infra/error_codes.py), the vocabulary the OpenAPI
document carries. Nothing here knows the web framework: the rules and their fast tests import it without one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from infra.error_codes import ErrorCode


class DomainError(Exception):
    """A rule's refusal, named for what it refuses; ``detail`` says it in plain English, for the logs and for
    integrators. ``params`` are what a sentence about it needs (a tenant's code, an order's number, the roles
    wanted …): the console builds its Chinese sentence from the code and them; a param named ``tenant`` or ending in
    ``_tenant`` holds a tenant's code, and the API adds its name beside it (``tenant_name``). ``extra`` fields are
    added to the JSON body as they are (e.g. the actions allowed instead)."""

    status: ClassVar[int] = 400
    code: ClassVar[ErrorCode] = ErrorCode.bad_request

    def __init__(self, detail: str, *, params: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.params = {key: value for key, value in (params or {}).items() if value is not None}
        self.extra = extra

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class Invalid(DomainError):
    """What was asked is not well formed or names what is not there (422)."""

    status, code = 422, ErrorCode.validation_error


class InvalidField(Invalid):
    """One field of the request is refused; ``fields`` names it, for a form to show beside the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields=[{"field": field, "message": message}])
        self.field = field


class Forbidden(DomainError):
    """This person may not do this (403)."""

    status, code = 403, ErrorCode.forbidden


class NotFound(DomainError):
    """What the request names is not there, or not for this person to see (404)."""

    status, code = 404, ErrorCode.not_found


class Conflict(DomainError):
    """The state of things does not allow it now (409)."""

    status, code = 409, ErrorCode.conflict


class TooLarge(DomainError):
    """What was sent is bigger than allowed (413)."""

    status, code = 413, ErrorCode.too_large


class UnsupportedType(DomainError):
    """What was sent is of a kind not accepted here (415)."""

    status, code = 415, ErrorCode.unsupported_media_type


class Gone(DomainError):
    """It was there and is no longer in use (410)."""

    status, code = 410, ErrorCode.gone


class Unavailable(DomainError):
    """Not yet: the client retries after ``retry_after`` seconds (503)."""

    status, code = 503, ErrorCode.service_unavailable
    retry_after: ClassVar[int] = 2

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}
