"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI

from app.console import router as console_router
from app.health import router as health_router
from app.openapi import install_openapi
from app.security_headers import install_security_headers
from core.assessment.api import router as assessment_router
from core.assessment.hotspots_api import router as hotspots_router
from core.assessment.overview_api import router as overview_router
from core.assessment.statistics_api import router as statistics_router
from core.categories.api import router as categories_router
from core.categories.service import CategoryStore
from core.changes.api import router as changes_router
from core.levels.api import router as tenants_router
from core.orders.api import router as orders_router
from core.orders.attachments_api import router as attachments_router
from core.orders.desk_api import router as desk_router
from core.orders.intake_policy import router as intake_policy_router
from core.orders.live import LiveHub
from core.orders.live_api import router as live_router
from core.orders.lookup_limits import LookupLimits
from core.orders.overdue_api import router as overdue_policy_router
from core.orders.public import router as public_router
from core.orders.supervise_api import router as supervise_router
from core.orders.web_intake import router as web_intake_router
from core.routing.api import router as routing_router
from core.sla.api import router as sla_router
from core.sla.service import SlaStore
from core.units.api import router as units_router
from federation.connection import NatsLink
from iam.store import AuthorizerStore
from infra.client_address import TrustedProxies
from infra.db import Database
from infra.edge import refuse_unsafe_input
from infra.errors import install_error_handlers
from infra.ratelimit import SharedCounters
from infra.settings import Settings, get_settings
from sso.realm import API_CLIENT
from sso.revocations import RevocationList
from sso.tokens import TokenValidator
from sso.users_api import router as users_router
from sso.web import SessionStore
from sso.web import router as sign_in_router
from tenants.binding import RegistryCache
from tenants.codes import is_valid_code


async def _tenant_name(app: FastAPI, code: str) -> str | None:
    """A tenant's name for a refusal's params (the registry's cache: a refusal costs no extra query, mostly)."""
    if not is_valid_code(code):
        return None
    tenant = await app.state.registry.get(app.state.db, code)
    return tenant.name if tenant is not None else None


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for these settings (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.db = Database(settings)
        app.state.nats = NatsLink(settings)
        app.state.nats.start()
        # The clock actions run on; tests of time limits replace it.
        app.state.clock = lambda: datetime.now(UTC)
        app.state.registry = RegistryCache()
        app.state.tokens = TokenValidator(settings.issuer, API_CLIENT)
        app.state.revocations = RevocationList(app.state.db.engine)
        app.state.authorizer = AuthorizerStore(app.state.db.engine)
        app.state.sessions = SessionStore(app.state.db.engine, settings)
        app.state.sla = SlaStore()
        app.state.categories = CategoryStore()
        app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
        app.state.lookup_limits = LookupLimits(SharedCounters(app.state.db.engine), settings)
        app.state.live = LiveHub(settings.postgres_url)  # one LISTEN connection, from the first subscriber on
        try:
            yield
        finally:
            await app.state.live.close()
            await app.state.nats.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="12345 hotline platform",
        version="0.1.0",
        description="The provincial 12345 government-service hotline (政务服务便民热线) API.",
        lifespan=lifespan,
        # The input rule at the edge (infra/edge.py): before any route's own dependencies run.
        dependencies=[Depends(refuse_unsafe_input)],
    )
    install_error_handlers(app, tenant_names=lambda code: _tenant_name(app, code))
    install_security_headers(app, https=settings.effective_console_url.startswith("https://"),
                             issuer=settings.issuer)
    app.include_router(health_router)
    app.include_router(tenants_router)
    app.include_router(units_router)
    app.include_router(categories_router)
    app.include_router(sla_router)
    app.include_router(attachments_router)  # before orders': its POST /{number}/{action} would take /attachments
    app.include_router(orders_router)
    app.include_router(public_router)
    app.include_router(web_intake_router)
    app.include_router(routing_router)
    app.include_router(sign_in_router)
    app.include_router(users_router)
    app.include_router(assessment_router)
    app.include_router(overview_router)
    app.include_router(statistics_router)
    app.include_router(hotspots_router)
    app.include_router(overdue_policy_router)
    app.include_router(live_router)
    app.include_router(desk_router)
    app.include_router(supervise_router)
    app.include_router(intake_policy_router)
    app.include_router(changes_router)
    app.include_router(console_router)
    install_openapi(app)
    return app
