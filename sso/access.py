"""Who is asking, and may they: the token's subject as an ``Actor``, and a guard on every route.

- ``current_actor``: a bearer access token (or the web console's session cookie) validated
  locally against the realm's keys (``sso.tokens``): 401 with ``WWW-Authenticate`` otherwise.
  A state-changing request signed in by the cookie must also pass ``refuse_cross_site``.
  A token of a disabled person is refused too (``sso.revocations``, within about a second).
- ``TenantGuard(resource, action)``: the route's permission on the tenant in its path, decided by
  the Casbin policies (``iam``) from the actor's roles, its home tenant path and the target's.
- ``Guard(resource, action)``: the same for routes without a tenant in the path (at home).
Every route declares one of them, or is listed as public; a test enforces it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from iam.actors import Actor, Role
from infra.error_codes import ErrorCode
from infra.errors import ApiError
from sso.session_keys import csrf_matches
from sso.tokens import Claims, InvalidToken
from tenants.binding import CurrentTenant
from tenants.codes import is_valid_code
from tenants.models import Tenant

bearer = HTTPBearer(auto_error=False, description="A Keycloak access token of the province's realm")
SESSION_COOKIE = "hotline_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, ErrorCode.unauthorized, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def actor_from_claims(claims: Claims) -> Actor:
    path = claims.tenant_path or ""
    tenant = path.rsplit("/", 1)[-1]
    if not path or not is_valid_code(tenant):
        raise ApiError(403, ErrorCode.no_tenant_assigned,
                       "your account is not assigned to a tenant: ask an admin to assign it")
    roles = frozenset(Role(r) for r in claims.roles if r in Role.__members__)
    return Actor(user=claims.username, tenant=tenant, roles=roles, unit_id=claims.unit, home=path,
                 subject=claims.subject, name=str(claims.raw.get("given_name") or claims.username))


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    token = credentials.credentials if credentials else None
    if token is None and SESSION_COOKIE in request.cookies:
        secret = request.cookies[SESSION_COOKIE]
        if request.method not in SAFE_METHODS:
            refuse_cross_site(request, secret)
        token = await request.app.state.sessions.access_token(secret)
        request.state.session_secret = secret
    if token is None:
        raise unauthorized("sign in: send a bearer access token")
    try:
        claims = request.app.state.tokens.validate(token)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from None
    # A disabled person's token: refused once any process has seen the revocation (sso/revocations.py).
    if await request.app.state.revocations.revoked(claims.subject, float(claims.raw["iat"])):
        raise unauthorized("the token was revoked: sign in again")
    return actor_from_claims(claims)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def refuse_cross_site(request: Request, secret: str, sent: str | None = None) -> None:
    """403 unless a request the session cookie signs in comes from the console itself: no browser's sign of
    another site (``Sec-Fetch-Site``, ``Origin``), and the session's CSRF token in ``X-CSRF-Token`` (or
    ``sent``, from a form). The cookie alone is what a browser attaches to another site's request too."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise ApiError(403, ErrorCode.csrf_failed, "a request from another site cannot use the console's session")
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != _origin(request.app.state.settings.effective_console_url):
        raise ApiError(403, ErrorCode.csrf_failed, "a request from another origin cannot use the console's session")
    if not csrf_matches(secret, request.headers.get(CSRF_HEADER) or sent):
        raise ApiError(403, ErrorCode.csrf_failed, f"a change signed in by the session cookie needs the {CSRF_HEADER} "
                       "header: the csrf_token of GET /auth/me (or the hotline_csrf cookie)")


# What a (resource, action) of the policies (iam/) is in words, for a refusal a person reads; ``{of}`` is where
# the tenant goes ("of tenant 4101 (郑州市)"), empty at the actor's own tenant.
_DOING = {
    ("order", "act"): "act on the orders{of}", ("order", "create"): "register orders{of}",
    ("order", "read"): "read the orders{of}", ("order", "export"): "export the orders{of}",
    ("unit", "read"): "see the units{of}", ("unit", "write"): "change the units{of}",
    ("category", "read"): "see the categories{of}", ("category", "write"): "change the categories{of}",
    ("time_limit", "read"): "see the time limits{of}", ("time_limit", "write"): "change the time limits{of}",
    ("assessment", "read"): "see the assessment{of}", ("assessment", "write"): "change the assessment settings{of}",
    ("user", "read"): "see the people{of}", ("user", "write"): "manage the people{of}",
    ("change", "read"): "see the history of administration{of}",
    ("supervision", "read"): "see the 督办 desk{of}", ("supervision", "act"): "urge from the 督办 desk{of}",
    ("tenant", "read"): "see the details{of}",
    ("calendar", "read"): "see the working-day calendar", ("calendar", "write"): "enter the working-day calendar",
}


def doing(resource: str, action: str, tenant: Tenant | None = None) -> str:
    """``action`` on ``resource`` in words: "act on the orders of tenant 4101 (郑州市)"."""
    of = f" of tenant {tenant.code} ({tenant.name})" if tenant is not None else ""
    return _DOING.get((resource, action), f"{action} the {resource.replace('_', ' ')}s{{of}}").format(of=of)


class TenantGuard:
    """Permission to ``action`` the ``resource`` of the tenant named in the path."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource, self.action = resource, action

    async def __call__(self, request: Request, actor: CurrentActor, tenant: CurrentTenant) -> Actor:
        authorizer = await request.app.state.authorizer.get()
        if not authorizer.decide(actor.roles, actor.home, tenant.path, self.resource, self.action):
            raise ApiError(403, ErrorCode.forbidden, f"you may not {doing(self.resource, self.action, tenant)}",
                           params={"resource": self.resource, "access": self.action, "tenant": tenant.code,
                                   "tenant_name": tenant.name})
        return actor


class Guard:
    """Permission to ``action`` the ``resource`` at the actor's own tenant (routes without {code})."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource, self.action = resource, action

    async def __call__(self, request: Request, actor: CurrentActor) -> Actor:
        authorizer = await request.app.state.authorizer.get()
        if not authorizer.decide(actor.roles, actor.home, actor.home, self.resource, self.action):
            raise ApiError(403, ErrorCode.forbidden, f"you may not {doing(self.resource, self.action)}",
                           params={"resource": self.resource, "access": self.action})
        return actor
