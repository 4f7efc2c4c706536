"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from infra.error_codes import ErrorCode

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it answers HTTP)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency does not answer"}})
async def readyz(request: Request) -> JSONResponse:
    """Ready only when PostgreSQL and NATS both answer right now."""
    postgres, nats = await asyncio.gather(_postgres_ok(request), request.app.state.nats.ping())
    checks = {"postgres": "ok" if postgres else "down", "nats": "ok" if nats else "down"}
    ready = postgres and nats
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    if not ready:
        down = ", ".join(name for name, state in checks.items() if state != "ok")
        body |= {"error": ErrorCode.not_ready.value, "detail": f"not answering: {down}"}
    return JSONResponse(body, status_code=200 if ready else 503)


async def _postgres_ok(request: Request) -> bool:
    try:
        async with asyncio.timeout(2):
            async with request.app.state.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
