"""The built web console (console/dist) at /console/: its files, and index.html for every path of its router.

Hashed assets are cached for a year (their names change with their content); index.html is never cached, so a
new build is picked up at the next load. `/` sends a browser to the console. Without a build, /console/ says
how to make one (503) instead of a bare 404.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

router = APIRouter(include_in_schema=False)
IMMUTABLE = "public, max-age=31536000, immutable"


def _dist(request: Request) -> Path:
    return Path(request.app.state.settings.console_dist)


@router.get("/")
async def root() -> RedirectResponse:
    """A browser at the API's root goes to the console."""
    return RedirectResponse("/console/", status_code=302)


@router.get("/console")
async def console_bare() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=302)


@router.get("/console/{path:path}")
async def console_file(request: Request, path: str) -> Response:
    """A file of the build, or index.html for a path the console's router handles."""
    dist = _dist(request).resolve()
    index = dist / "index.html"
    if not index.is_file():
        return PlainTextResponse("the console is not built: run `make up` or `.venv/bin/hotline console build`",
                                 status_code=503)
    if path:
        wanted = (dist / path).resolve()
        if wanted.is_relative_to(dist) and wanted.is_file():
            cache = IMMUTABLE if wanted.parent.name == "assets" else "no-cache"
            return _file(request, wanted, cache)
        if path.startswith("assets/"):  # a missing asset is a 404, not the page
            return PlainTextResponse("not found", status_code=404)
    return _file(request, index, "no-cache")


def _file(request: Request, path: Path, cache: str) -> FileResponse:
    """The file, or its precompressed .gz (written by `hotline console build`) for a client that takes gzip."""
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    packed = path.with_name(path.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and packed.is_file():
        media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(packed, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(path, headers=headers)
