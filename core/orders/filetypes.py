"""What a file is, told by its first bytes (magic numbers), never by its name or the type the client declared.

Accepted: JPEG, PNG and WebP images (photos of the place, of the work done), PDF, Word and Excel documents
(docx, xlsx; the old doc and xls too). An Office Open XML file is a ZIP: its parts say whether it is a Word
document or a workbook (only the ZIP's directory is read, nothing is inflated). An old Office file is an OLE2
compound file: its directory names its main stream (``WordDocument``, ``Workbook``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str

    @property
    def image(self) -> bool:
        return self.content_type.startswith("image/")


JPEG = FileType("image/jpeg", "jpg")
PNG = FileType("image/png", "png")
WEBP = FileType("image/webp", "webp")
PDF = FileType("application/pdf", "pdf")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
DOC = FileType("application/msword", "doc")
XLS = FileType("application/vnd.ms-excel", "xls")
ACCEPTED = (JPEG, PNG, WEBP, PDF, DOCX, XLSX, DOC, XLS)
IMAGES = (JPEG, PNG, WEBP)
ACCEPTED_NAMES = "jpeg, png, webp, pdf, docx, xlsx, doc, xls"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _office_open_xml(data: bytes) -> FileType | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def sniff(data: bytes) -> FileType | None:
    """The type of the file by its content, if it is one accepted; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office_open_xml(data)
    if data.startswith(_OLE2):
        if _utf16("WordDocument") in data:
            return DOC
        if _utf16("Workbook") in data or _utf16("Book") in data:
            return XLS
    return None
