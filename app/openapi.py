"""The OpenAPI document made true, in one place rather than on every route decorator.

FastAPI describes only the success and a 422 body it never sends. Here, once per app:

- every error status an operation can answer is declared with the body every error has,
  ``{"error", "detail", "fields"}`` (``infra/errors.py``); the 422 declared is that body;
- the edge's input rule (``infra/edge.py``) is stated: string parameters and body strings carry a pattern
  that excludes control characters, unless they already have a stricter pattern, a format or an enum.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from core.orders.lifecycle import OrderAction, OrderStatus
from core.vocabulary import OrderType, Urgency
from iam.actors import Role
from infra.edge import PARAMETER_PATTERN, TEXT_PATTERN
from infra.error_codes import ErrorCode

WRITES = {"post", "put", "patch", "delete"}
DESCRIPTIONS = {
    400: "Malformed request (e.g. a tenant code that is not GB/T 2260, a forged cursor)",
    401: "No valid access token",
    403: "The person's roles do not allow this here",
    404: "Not found (or not visible to this person)",
    409: "Conflicts with the current state (an order's state, an existing code)",
    410: "The tenant is disabled",
    413: "The upload is bigger than the limit (``limit_bytes``); refused while it was being read",
    415: "The body or the file is not of a type accepted here (a file's type is told by its content)",
    422: "Invalid input; ``fields`` names each field and why",
    429: "Too many requests; retry later",
    503: "A dependency (the database) is unavailable or the tenant is being provisioned; retry shortly",
}


# Objects that carry only the fields they have (an event's payload, a refusal's params): a field without a value is
# absent, not null, so no default is declared (a generated client would otherwise take each one as always there).
ABSENT_WHEN_UNSET = ("EventPayload", "ErrorParams")

# Every 429 and 503 says when to come back.
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "required": True,
                               "schema": {"type": "integer", "minimum": 1}}}


class ErrorField(BaseModel):
    field: str
    message: str


class ErrorParams(BaseModel):
    """What a sentence about the refusal needs, by ``error`` (infra/error_codes.py says which code carries which).
    A tenant's code (``tenant``, ``by_tenant`` …) comes with its name beside it (``tenant_name`` …)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    tenant: str | None = Field(None, description="the tenant the refusal is about (its code)")
    tenant_name: str | None = None
    your_tenant: str | None = Field(None, description="the asking person's own tenant")
    your_tenant_name: str | None = None
    by_tenant: str | None = Field(None, description="withdrawn: the level that took the order back")
    by_tenant_name: str | None = None
    origin_tenant: str | None = Field(None, description="taken_at_origin: the level that took the request")
    origin_tenant_name: str | None = None
    resource: str | None = Field(None, description="forbidden: what was asked for (order, unit, category, "
                                                   "time_limit, calendar, assessment, user, change, tenant)")
    access: str | None = Field(None, description="forbidden: how (read, write, create, act, export)")
    number: str | None = Field(None, description="the order's number")
    action: str | None = Field(None, description="the order's action asked for")
    status: OrderStatus | None = Field(None, description="the order's status now")
    allowed_actions: list[OrderAction] | None = Field(None, description="what the person may do instead")
    roles: list[Role] | None = Field(None, description="role_needed: one of these; role_not_grantable: these")
    tab: str | None = None
    code: str | None = Field(None, description="a unit's, a category's or a tenant's code")
    unit: int | None = None
    rule: int | None = None
    category: str | None = None
    division: str | None = None
    type: OrderType | None = None
    urgency: Urgency | None = None
    limit: int | None = None
    limit_bytes: int | None = None
    retry_after: int | None = Field(None, description="seconds to wait (also in Retry-After)")
    accepted: str | None = Field(None, description="the file types accepted")
    year: int | None = Field(None, description="calendar_year_unknown: the year")
    package: str | None = Field(None, description="report_font_missing: the Debian package to install")


class ErrorBody(BaseModel):
    """Every error answer. Some carry more, e.g. a 409 on an order lists the actions allowed now."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    error: ErrorCode = Field(description="a stable machine-readable code, one of ErrorCode")
    detail: str = Field(description="what went wrong, in English, for logs and integrators (a console says it "
                                    "in its own words from error and params)")
    params: ErrorParams | None = Field(None, description="what a sentence about the refusal needs")
    fields: list[ErrorField] | None = Field(None, description="validation errors: one per field")


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    if not path.startswith("/api/"):
        wanted = {401, 403} if operation.get("security") else set()
        return wanted | ({400, 422} if operation.get("parameters") else set())
    wanted = {400, 404, 422, 503}
    if operation.get("security"):
        wanted |= {401, 403}
    if "{code}" in path:
        wanted |= {410}
    if method in WRITES:
        wanted |= {409}
    if path.startswith("/api/v1/public/"):
        wanted |= {429}
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        wanted |= {413, 415}
    return wanted


def _constrain_strings(schema: Any, pattern: str) -> None:
    """Add the control-character pattern to every free string schema below ``schema``."""
    if isinstance(schema, list):
        for item in schema:
            _constrain_strings(item, pattern)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
        schema["pattern"] = pattern
    for key in ("properties", "$defs"):
        for child in (schema.get(key) or {}).values():
            _constrain_strings(child, pattern)
    for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems"):
        if key in schema:
            _constrain_strings(schema[key], pattern)


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in error.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    schemas["ErrorBody"] = error
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for name, schema in schemas.items():
        if name not in ("ErrorBody", "ErrorField", "ErrorParams"):
            _constrain_strings(schema, TEXT_PATTERN)
    for name in ABSENT_WHEN_UNSET:
        for prop in schemas.get(name, {}).get("properties", {}).values():
            prop.pop("default", None)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                _constrain_strings(parameter.get("schema"), PARAMETER_PATTERN)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _constrain_strings(media.get("schema"), TEXT_PATTERN)
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method, operation)):
                entry = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
                entry.setdefault("content", {}).setdefault("application/json", {})["schema"] = error_ref
                if entry.get("description") in (None, "Validation Error"):
                    entry["description"] = DESCRIPTIONS[status]
            for status in ("429", "503"):
                if status in responses:
                    responses[status].setdefault("headers", {}).update(RETRY_AFTER)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
