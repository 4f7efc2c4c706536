"""Routes of an order's files (附件): upload (multipart, read in chunks within the size limit) and download."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy import select

from core.orders import attachments, queries, visibility
from core.orders.api import OrderContext
from core.orders.context import field_error
from core.orders.errors import AttachmentNotFound, NoStepToAttachTo, TooManyAttachments
from core.orders.filetypes import ACCEPTED, ACCEPTED_NAMES
from core.orders.models import Assignment, Attachment, Order
from core.orders.rules import allowed_actions
from core.orders.schemas import AttachmentOut
from core.orders.service import Context
from infra.edge import INT64_MAX
from infra.uploads import read_form, safe_file_name
from sso.access import TenantGuard

router = APIRouter(prefix="/api/v1/tenants/{code}/orders/{number}/attachments", tags=["orders"])

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": f"the file: {ACCEPTED_NAMES} (by its content)"}}}}}}}

BYTES = {kind.content_type: {"schema": {"type": "string", "format": "binary"}} for kind in ACCEPTED}


async def _visible_order(ctx: Context, number: str) -> Order:
    order = await ctx.session.scalar(visibility.visible(select(Order), ctx.unit_scope).where(Order.number == number))
    if order is None:
        raise queries.order_not_found(number, ctx.tenant.code)
    return order


@router.post("", status_code=201, response_model=AttachmentOut, openapi_extra=UPLOAD_BODY,
             dependencies=[Depends(TenantGuard("order", "act"))])
async def upload(request: Request, ctx: OrderContext, number: str) -> AttachmentOut:
    """A file for the order (a photo or document of the work done), by whoever may take a step on it now; a
    reply or answer then names it in ``attachment_ids``. The type is told by the content, not the name."""
    order = await _visible_order(ctx, number)
    assignments = (await ctx.session.scalars(select(Assignment).where(Assignment.order_id == order.id))).all()
    if not allowed_actions(ctx.actor, ctx.tenant.code, order, assignments, ctx.now):
        raise NoStepToAttachTo(number)
    if await attachments.count(ctx.session, order.id) >= attachments.MAX_PER_ORDER:
        raise TooManyAttachments(number, attachments.MAX_PER_ORDER)
    order_id = order.id
    await ctx.session.rollback()  # hold no connection while the file arrives
    limit = request.app.state.settings.attachment_max_bytes
    form = await read_form(request, files=frozenset({"file"}), file_limit=limit)
    sent = form.files.get("file")
    if sent is None:
        raise field_error("file", "send the file in the form field 'file'")
    data = bytes(sent.data)
    kind = attachments.kept_type(data)
    digest = await attachments.keep_blob(ctx.session, data, kind)
    row = attachments.new_row(order_id, safe_file_name(sent.file_name, f"attachment.{kind.extension}"), kind,
                              len(data), digest, ctx.actor.user)
    ctx.session.add(row)
    await ctx.session.commit()
    return attachments.out(row, ctx.tenant.code, number)


@router.get("/{attachment_id}", dependencies=[Depends(TenantGuard("order", "read"))], response_class=Response,
            responses={200: {"content": BYTES, "description": "the file's bytes"},
                       404: {"description": "No such order or file, or not for you to see (the same answer)"}})
async def download(ctx: OrderContext, number: str,
                   attachment_id: Annotated[int, Path(ge=1, le=INT64_MAX)]) -> Response:
    """The file's bytes, to the people who may read the order: images inline, documents as a download."""
    order = await _visible_order(ctx, number)
    row = await ctx.session.scalar(select(Attachment).where(Attachment.id == attachment_id,
                                                            Attachment.order_id == order.id))
    content = await attachments.blob(ctx.session, row) if row is not None else None
    if row is None or content is None:
        raise AttachmentNotFound(number, attachment_id)
    how = "inline" if row.content_type.startswith("image/") else "attachment"
    name = safe_file_name(row.file_name, "attachment")  # a name that came from another level is cleaned here too
    fallback = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return Response(content, media_type=row.content_type, headers={
        "Content-Disposition": f"{how}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"})
