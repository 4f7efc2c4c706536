"""API errors: every error is JSON ``{"error": code, "detail": text, "params": {…}}`` with a 4xx (or 503) status.

The rules raise named domain errors (``infra.refusals.DomainError`` and its kinds, e.g.
``core.orders.errors.NotYourUnit``), never an HTTP error; one handler here answers them. ``ApiError`` is left to
what is HTTP itself (a missing token, a cross-site request, a rate limit). ``error`` is one of ``ErrorCode``;
``params`` carry what a sentence about the refusal needs, each tenant code in them with its name beside it (the
app gives ``install_error_handlers`` the way to find a name), so a console says it in its own words.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from infra.error_codes import ErrorCode
from infra.refusals import DomainError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: ErrorCode.bad_request, 401: ErrorCode.unauthorized, 403: ErrorCode.forbidden,
               404: ErrorCode.not_found, 405: ErrorCode.method_not_allowed, 409: ErrorCode.conflict,
               410: ErrorCode.gone, 413: ErrorCode.too_large, 415: ErrorCode.unsupported_media_type,
               422: ErrorCode.validation_error, 429: ErrorCode.too_many_requests,
               503: ErrorCode.service_unavailable}

# A tenant's name, by its code (None when there is no such tenant): what the app gives the handlers.
TenantNames = Callable[[str], Awaitable[str | None]]


class ApiError(Exception):
    """An HTTP-level refusal (no token, a cross-site request, a rate limit), with its status and headers; a rule's
    refusal is a ``DomainError``. ``params`` as a ``DomainError``'s; ``extra`` fields are added to the JSON body."""

    def __init__(self, status: int, error: ErrorCode, detail: str, *, headers: dict[str, str] | None = None,
                 params: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers
        self.params = {key: value for key, value in (params or {}).items() if value is not None}
        self.extra = extra


_KNOWN = frozenset(code.value for code in ErrorCode)


def error_body(error: ErrorCode, detail: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON of a refusal: its code, the English sentence, and (when there are any) its params."""
    if str(error) not in _KNOWN:  # the fast tests keep this from happening; said, not hidden, if it does
        log.error("refusal with a code that is not an ErrorCode: %s", error)
    return {"error": str(error), "detail": detail, **({"params": params} if params else {}), **extra}


def is_tenant_param(key: str) -> bool:
    """Whether a param holds a tenant's code (``tenant``, ``by_tenant``, ``your_tenant`` …)."""
    return key == "tenant" or key.endswith("_tenant")


async def named(params: dict[str, Any], names: TenantNames | None) -> dict[str, Any]:
    """``params`` with each tenant code's name beside it (``tenant`` → ``tenant_name``), where one is found. A name
    that cannot be looked up (the database away) is left out: the refusal is answered all the same."""
    if names is None:
        return params
    found = dict(params)
    for key, value in params.items():
        if is_tenant_param(key) and isinstance(value, str) and f"{key}_name" not in params:
            try:
                name = await names(value)
            except Exception:  # the refusal matters more than the name; the console says the code instead
                log.warning("no name for tenant %s in a refusal", value, exc_info=True)
                name = None
            if name:
                found[f"{key}_name"] = name
    return found


# SQLSTATEs of a database that is not there for now: any connection exception (class 08), the server shutting
# down or crashed (57P01, 57P02), starting up or shutting down when connected to (57P03), out of connections.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _is_unavailable(exc: BaseException | None) -> bool:
    """Is this the database (or the network to it) being down, rather than a bug? Looks down the chain of causes:
    SQLAlchemy wraps asyncpg's errors, and a SQLSTATE it has no class for arrives as a plain ``DBAPIError``."""
    import asyncpg

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | ConnectionError | TimeoutError | PoolTimeout | socket.gaierror):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            return True
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        exc = exc.__cause__ or getattr(exc, "orig", None)
        seen += 1
    return False


def install_error_handlers(app: FastAPI, tenant_names: TenantNames | None = None) -> None:
    """Answer every refusal as ``{"error", "detail", "params"}``; ``tenant_names`` names the tenants in params."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.detail, await named(exc.params, tenant_names), **exc.extra),
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.detail, await named(exc.params, tenant_names), **exc.extra),
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        fallback = ErrorCode.internal_error if exc.status_code >= 500 else ErrorCode.bad_request
        code = _HTTP_CODES.get(exc.status_code, fallback)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path")),
             "message": _plain(err["msg"])}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return JSONResponse(error_body(ErrorCode.validation_error, detail, fields=fields), status_code=422)

    async def _infrastructure(_: Request, exc: Exception) -> JSONResponse:
        if _is_unavailable(exc):
            return JSONResponse(error_body(ErrorCode.service_unavailable,
                                           "the database is not reachable; retry shortly"),
                                status_code=503, headers={"Retry-After": "2"})
        log.error("unexpected database error", exc_info=exc)
        return JSONResponse(error_body(ErrorCode.internal_error, "an unexpected error occurred"), status_code=500)

    # Registered per class (not for Exception): Starlette re-raises whatever reaches its
    # catch-all handler, and the database being down is an expected condition, not a crash.
    for exc_class in (DBAPIError, OSError, TimeoutError, PoolTimeout, *_driver_errors()):
        app.add_exception_handler(exc_class, _infrastructure)


def _plain(message: str) -> str:
    """A validator's own words, without pydantic's prefix ("Value error, not a mainland mobile …")."""
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _allowed_methods(request: Request) -> str:
    """Every method the document declares at this path (Starlette names only the first matching route's)."""
    return ", ".join(allowed_methods(request.app, request.url.path))


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document declares for the path a request named (for a 405's ``Allow``). As OpenAPI
    matches paths, a more concrete template wins over a templated one (``/orders/duplicates`` over
    ``/orders/{number}``): the templates with the fewest parameters that match."""
    found: dict[int, set[str]] = {}
    for template, item in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            found.setdefault(template.count("{"), set()).update(m.upper() for m in item)
    return sorted(found[min(found)]) if found else []


def _driver_errors() -> tuple[type[Exception], ...]:
    import asyncpg

    return (asyncpg.PostgresError, asyncpg.InterfaceError)
