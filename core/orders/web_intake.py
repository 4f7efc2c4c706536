"""Public web intake (网站受理): a citizen submits a request from a phone's browser, with a photo if they like, and
gets the query code; no sign-in. Rate-limited per client address (``LookupLimits.admit_request``).

The order is registered as every order is (``core.orders.intake.register``), on channel ``web``, by the tenant's
system actor ``citizen-web`` (an operator of that tenant, never a person): the event log says who took it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.orders import attachments
from core.orders.citizen import normalize_phone
from core.orders.context import Context
from core.orders.filetypes import IMAGES
from core.orders.intake import register
from core.orders.lookup_limits import LookupLimits
from core.orders.schemas import AttachmentIn, Channel, CitizenIn, OrderCreate
from core.orders.step import order_step
from core.vocabulary import OrderType
from iam.actors import Actor, Role
from infra.uploads import read_form, safe_file_name
from tenants.binding import CurrentTenant, TenantSession

router = APIRouter(prefix="/api/v1/public/tenants/{code}", tags=["public"])

WEB_ACTOR = "citizen-web"
IMAGE_NAMES = "jpeg, png, webp"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIELDS = {"type": {"type": "string", "enum": [t.value for t in OrderType]},
           "category": {"type": "string", "minLength": 1, "maxLength": 40},
           "title": {"type": "string", "minLength": 1, "maxLength": 200},
           "content": {"type": "string", "minLength": 1, "maxLength": 5000},
           "address": {"type": "string", "maxLength": 300},
           "division_code": {"type": "string", "pattern": r"^(\d{2,12})?$"},
           "name": {"type": "string", "maxLength": 100, "description": "none: anonymous (保密)"},
           "phone": {"type": "string", "minLength": 5, "maxLength": 30},
           "photo": {"type": "string", "format": "binary", "description": f"a photo: {IMAGE_NAMES}"}}
FORM_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["type", "category", "title", "content", "phone"], "properties": _FIELDS}}}}}


class PublicRequest(BaseModel):
    """The web form's fields."""

    model_config = ConfigDict(extra="forbid")

    type: OrderType
    category: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=5000)
    address: str | None = Field(None, max_length=300)
    division_code: str | None = Field(None, pattern=r"^\d{2,12}$")
    name: str | None = Field(None, max_length=100)
    phone: str = Field(min_length=5, max_length=30)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


class RequestCreated(BaseModel):
    number: str
    query_code: str = Field(description="with the phone, the citizen's key to GET /api/v1/public/orders/{query_code}")


class PublicCategory(BaseModel):
    code: str
    name: str
    parent_code: str | None
    leaf: bool


class PublicCategories(BaseModel):
    items: list[PublicCategory]


def web_actor(tenant_code: str, path: str) -> Actor:
    """The system actor that registers the tenant's web requests."""
    return Actor(user=WEB_ACTOR, tenant=tenant_code, roles=frozenset({Role.operator}), home=path)


@router.post("/requests", status_code=201, response_model=RequestCreated, openapi_extra=FORM_BODY)
async def submit(request: Request, tenant: CurrentTenant, session: TenantSession) -> RequestCreated:
    """A citizen's request from the web (multipart form, optional ``photo``): its number and query code."""
    state = request.app.state
    limits: LookupLimits = state.lookup_limits
    await limits.admit_request(state.trusted_proxies.of(request))
    form = await read_form(request, files=frozenset({"photo"}), file_limit=state.settings.attachment_max_bytes)
    try:
        fields = PublicRequest.model_validate({k: v for k, v in form.fields.items() if v != ""})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    files: list[AttachmentIn] = []
    photo = form.files.get("photo")
    data = bytes(photo.data) if photo is not None else b""
    if photo is not None and data:
        kind = attachments.kept_type(data, IMAGES, IMAGE_NAMES)
        digest = hashlib.sha256(data).hexdigest()
        files.append(AttachmentIn(file_name=safe_file_name(photo.file_name, f"photo.{kind.extension}"),
                                  content_type=kind.content_type, size_bytes=len(data), sha256=digest,
                                  storage_key=attachments.BLOB + digest))
    body = OrderCreate(channel=Channel.web, type=fields.type, category=fields.category, title=fields.title,
                       content=fields.content, address=fields.address, division_code=fields.division_code,
                       citizen=CitizenIn(name=fields.name, phone=fields.phone, anonymous=fields.name is None,
                                         callback=True), attachments=files)
    ctx = Context(session=session, tenant=tenant, actor=web_actor(tenant.code, tenant.path),
                  rules=await state.sla.rules(session), categories=await state.categories.visible(session, tenant.code),
                  now=state.clock(), duplicate_window_days=state.settings.duplicate_window_days)
    async with order_step(session, optimistic=True):
        if files:  # in the step's transaction: a request the intake refuses leaves no bytes behind
            await attachments.keep_blob(session, data, kind)
        done = await register(ctx, body)
    return RequestCreated(number=done.order.number, query_code=done.order.query_code)


@router.get("/categories", response_model=PublicCategories)
async def categories(request: Request, tenant: CurrentTenant, session: TenantSession) -> PublicCategories:
    """The categories a citizen may choose from on the web form (majors and their minors, in use)."""
    visible = await request.app.state.categories.visible(session, tenant.code)
    return PublicCategories(items=[PublicCategory(code=c.code, name=c.name, parent_code=c.parent_code, leaf=c.leaf)
                                   for c in sorted(visible.values(), key=lambda c: c.code) if c.active])

