"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.config import Settings, get_settings
from core.db import Database
from core.errors import install_error_handlers
from core.health import router as health_router
from federation.connection import NatsLink
from tenants.api import router as tenants_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for these settings (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.db = Database(settings)
        app.state.nats = NatsLink(settings.effective_nats_url)
        app.state.nats.start()
        try:
            yield
        finally:
            await app.state.nats.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="12345 hotline platform",
        version="0.1.0",
        description="The provincial 12345 government-service hotline (政务服务便民热线) API.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(tenants_router)
    return app
