"""Attachments (附件) kept by the platform: the bytes once in ``public.attachment_blobs`` (by SHA-256), a row per
order and level in the tenant's ``attachments`` pointing to them.

A file is uploaded to an order by a person who may take a step on it now; a reply or an answer names the files
that go with it (``attachment_ids``, recorded in its event). When a level's reply goes up (``crosslevel.reply``)
it carries references to its files (name, type, size, SHA-256: never the bytes), and the level above adds its
own rows for them: its reviewers read the town's photo from the same blob.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.orders.context import field_error
from core.orders.errors import FileTypeRefused
from core.orders.filetypes import ACCEPTED, ACCEPTED_NAMES, FileType, sniff
from core.orders.models import ATTACHMENT_ID_SEQ, Attachment, AttachmentBlob, Order, OrderEvent
from core.orders.schemas import AttachmentOut

BLOB = "blob:"
# Files one order may have at one level: photos and documents of one request, not a file store.
MAX_PER_ORDER = 50


class AttachmentRef(BaseModel):
    """A file as a message between levels names it: the bytes stay in the shared blob table."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    uploaded_by: str | None = Field(None, max_length=100)


def kept_type(data: bytes, accepted: Sequence[FileType] = ACCEPTED, names: str = ACCEPTED_NAMES) -> FileType:
    """The file's type by its content; 415 unless it is one of ``accepted``."""
    found = sniff(data)
    if found is None or found not in accepted:
        raise FileTypeRefused(names)
    return found


async def keep_blob(session: AsyncSession, data: bytes, kind: FileType) -> str:
    """The bytes in the shared table (once: the same content uploaded again is the same row); their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    await session.execute(insert(AttachmentBlob).values(
        sha256=digest, content=data, size_bytes=len(data), content_type=kind.content_type,
    ).on_conflict_do_nothing(index_elements=["sha256"]))
    return digest


def new_row(order_id: int, file_name: str, kind: FileType, size: int, digest: str, uploaded_by: str) -> Attachment:
    return Attachment(order_id=order_id, file_name=file_name, content_type=kind.content_type, size_bytes=size,
                      sha256=digest, storage_key=BLOB + digest, uploaded_by=uploaded_by)


def out(row: Attachment, tenant_code: str, number: str) -> AttachmentOut:
    return AttachmentOut(
        id=row.id, file_name=row.file_name, content_type=row.content_type, size_bytes=row.size_bytes,
        sha256=row.sha256, uploaded_by=row.uploaded_by, uploaded_at=row.created_at, from_tenant=row.from_tenant,
        url=f"/api/v1/tenants/{tenant_code}/orders/{number}/attachments/{row.id}")


async def count(session: AsyncSession, order_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(Attachment.order_id == order_id)) or 0)


async def of_order(session: AsyncSession, order_id: int) -> list[Attachment]:
    return list((await session.scalars(
        select(Attachment).where(Attachment.order_id == order_id).order_by(Attachment.id))).all())


async def named(session: AsyncSession, order: Order, ids: Sequence[int]) -> list[Attachment]:
    """The files ``attachment_ids`` names, each one of this order's (422 naming the field otherwise)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {row.id: row for row in (await session.scalars(
        select(Attachment).where(Attachment.order_id == order.id, Attachment.id.in_(wanted)))).all()}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise field_error("attachment_ids", f"order {order.number} has no attachment {', '.join(missing)}")
    return [found[i] for i in wanted]


def refs(rows: Sequence[Attachment]) -> list[AttachmentRef]:
    """What a message up carries of these files: only those kept by the platform can be read above."""
    return [AttachmentRef(sha256=r.sha256, file_name=r.file_name, content_type=r.content_type,
                          size_bytes=r.size_bytes, uploaded_by=r.uploaded_by)
            for r in rows if r.storage_key == BLOB + r.sha256]


async def of_last_reply(session: AsyncSession, order: Order) -> list[AttachmentRef]:
    """The files of the lead's last reply on this record (the reply that goes up when the record closes)."""
    payloads = (await session.scalars(
        select(OrderEvent.payload).where(OrderEvent.order_id == order.id, OrderEvent.action == "reply")
        .order_by(OrderEvent.seq.desc()))).all()
    last = next((p for p in payloads if p.get("role", "lead") == "lead"), None)
    ids = [int(i) for i in (last or {}).get("attachment_ids", [])]
    if not ids:
        return []
    rows = (await session.scalars(select(Attachment).where(Attachment.order_id == order.id,
                                                           Attachment.id.in_(ids)))).all()
    return refs(sorted(rows, key=lambda r: ids.index(r.id)))


async def received(session: AsyncSession, order_id: int, files: Sequence[AttachmentRef], from_tenant: str) -> list[int]:
    """This level's rows for files a level below sent up with its reply; their ids (taken from the sequence
    now, for the event that records them: the rows are written with the step)."""
    if not files:
        return []
    ids = list((await session.scalars(
        select(ATTACHMENT_ID_SEQ.next_value()).select_from(func.generate_series(1, len(files))))).all())
    for new_id, ref in zip(ids, files, strict=True):
        session.add(Attachment(id=new_id, order_id=order_id, file_name=ref.file_name, content_type=ref.content_type,
                               size_bytes=ref.size_bytes, sha256=ref.sha256, storage_key=BLOB + ref.sha256,
                               uploaded_by=ref.uploaded_by, from_tenant=from_tenant))
    return ids


async def blob(session: AsyncSession, row: Attachment) -> bytes | None:
    """The file's bytes, if the platform keeps them."""
    if row.storage_key != BLOB + row.sha256:
        return None
    return await session.scalar(select(AttachmentBlob.content).where(AttachmentBlob.sha256 == row.sha256))
