"""The API `hotline bench intake` runs: the product's app, plus a POST route that does no work.

The route is the bench's own, never the product's: what a POST of an order's size, with the operator's token,
costs in this HTTP stack (uvicorn, the edge's input rule, the security headers) before any intake work.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from app.factory import create_app as create_product_app

NOOP_PATH = "/bench/noop"


def create_app() -> FastAPI:
    app = create_product_app()

    @app.post(NOOP_PATH, include_in_schema=False, status_code=201)
    async def noop(request: Request) -> Response:
        await request.body()  # received whole, as an order's body is, but not parsed
        return Response(b"{}", status_code=201, media_type="application/json")

    return app
