"""A multipart/form-data body read as it arrives, its limits enforced while reading (附件上传).

Starlette's own form parsing spools a whole upload to disk before a route sees it; here the body is fed chunk
by chunk to python-multipart's streaming parser, and the read stops (413) as soon as a file part passes its
limit, or the body passes what its files and fields could add up to: a 2 GB upload costs the server at most
the limit, not 2 GB read. A ``Content-Length`` already past that is refused before reading anything.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from infra.refusals import Invalid, TooLarge, UnsupportedType

FIELD_LIMIT = 20_000  # one text field (the longest the API takes: an order's content)
PARTS_LIMIT = 24
OVERHEAD = 64 * 1024  # part headers and boundaries
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class BodyTooLarge(TooLarge):
    def __init__(self, limit: int, what: str = "a file") -> None:
        super().__init__(f"{what} may be at most {limit} bytes ({limit / 1048576:.1f} MiB)",
                         params={"limit_bytes": limit}, limit_bytes=limit)


class NotMultipart(UnsupportedType):
    def __init__(self) -> None:
        super().__init__("send the form as multipart/form-data")


class MalformedForm(Invalid):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)


@dataclass
class FilePart:
    name: str
    file_name: str
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


def safe_file_name(raw: str | None, fallback: str) -> str:
    """The name a file was sent under, without its path and control characters, at most 255 characters."""
    name = _UNSAFE_NAME.sub("", os.path.basename((raw or "").replace("\\", "/"))).strip()
    return (name or fallback)[-255:]


class _Collector:
    """The parser's callbacks: each part's headers, then its bytes into a field or a file, within the limits."""

    def __init__(self, files: frozenset[str], file_limit: int) -> None:
        self.form = Form()
        self.wanted_files, self.file_limit = files, file_limit
        self.parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._disposition: bytes = b""
        self._buffer = bytearray()
        self._name: str | None = None
        self._file: FilePart | None = None

    def callbacks(self) -> dict[str, object]:
        return {"on_part_begin": self._begin, "on_header_field": self._hfield, "on_header_value": self._hvalue,
                "on_header_end": self._hend, "on_headers_finished": self._headers_done,
                "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self.parts += 1
        if self.parts > PARTS_LIMIT:
            raise MalformedForm(f"a form of at most {PARTS_LIMIT} parts")
        self._disposition, self._buffer, self._name, self._file = b"", bytearray(), None, None

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _hend(self) -> None:
        if bytes(self._header_field).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise MalformedForm("every part of the form needs a name")
        self._name = name
        if b"filename" in options:
            if name not in self.wanted_files:
                raise MalformedForm(f"{name}: no file is expected under this name")
            if name in self.form.files:
                raise MalformedForm(f"{name}: one file only")
            raw = options[b"filename"].decode("utf-8", "replace")
            self._file = self.form.files[name] = FilePart(name, safe_file_name(raw, name))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.data += data[start:end]
            if len(self._file.data) > self.file_limit:
                raise BodyTooLarge(self.file_limit)
        else:
            self._buffer += data[start:end]
            if len(self._buffer) > FIELD_LIMIT:
                raise MalformedForm(f"{self._name}: at most {FIELD_LIMIT} bytes")

    def _end(self) -> None:
        if self._file is None and self._name is not None:
            try:
                self.form.fields[self._name] = self._buffer.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedForm(f"{self._name}: not UTF-8 text") from None


async def _url_encoded(request: Request) -> Form:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > FIELD_LIMIT * 8:
            raise BodyTooLarge(FIELD_LIMIT * 8, "a form without files")
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise MalformedForm("the form is not well-formed (application/x-www-form-urlencoded, UTF-8)") from None
    return Form(fields=dict(pairs))


async def read_form(request: Request, *, files: frozenset[str], file_limit: int) -> Form:
    """The form's text fields and its files (only under the names ``files`` lists), each file at most
    ``file_limit`` bytes: 413 as soon as one is past it, 415 if the body is not multipart/form-data (or, with no
    file, application/x-www-form-urlencoded)."""
    kind, options = parse_options_header(request.headers.get("content-type"))
    if kind == b"application/x-www-form-urlencoded":  # a form without a file, as a browser may send it
        return await _url_encoded(request)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise NotMultipart()
    body_limit = file_limit * len(files) + FIELD_LIMIT * 4 + OVERHEAD
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > body_limit:
        raise BodyTooLarge(file_limit)
    collector = _Collector(files, file_limit)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > body_limit:
            raise BodyTooLarge(file_limit)
        try:
            parser.write(chunk)
        except (BodyTooLarge, MalformedForm):
            raise
        except Exception as exc:  # the parser's own errors: a body that is not a well-formed form
            raise MalformedForm(f"the form is not well-formed multipart: {exc}") from None
    try:
        parser.finalize()
    except Exception as exc:
        raise MalformedForm(f"the form is not well-formed multipart: {exc}") from None
    return collector.form
