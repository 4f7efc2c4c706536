"""Who is asking, and may they: the token's subject as an ``Actor``, and a guard on every route.

- ``current_actor``: a bearer access token (or the web console's session cookie) validated
  locally against the realm's keys (``sso.tokens``): 401 with ``WWW-Authenticate`` otherwise.
  A token of a disabled person is refused too (``sso.revocations``, within about a second).
- ``TenantGuard(resource, action)``: the route's permission on the tenant in its path, decided by
  the Casbin policies (``iam``) from the actor's roles, its home tenant path and the target's.
- ``Guard(resource, action)``: the same for routes without a tenant in the path (at home).
Every route declares one of them, or is listed as public; a test enforces it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.actors import Actor, Role
from core.errors import ApiError
from sso.tokens import Claims, InvalidToken
from tenants.binding import CurrentTenant
from tenants.codes import is_valid_code

bearer = HTTPBearer(auto_error=False, description="A Keycloak access token of the province's realm")
SESSION_COOKIE = "hotline_session"


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def actor_from_claims(claims: Claims) -> Actor:
    path = claims.tenant_path or ""
    tenant = path.rsplit("/", 1)[-1]
    if not path or not is_valid_code(tenant):
        raise ApiError(403, "forbidden", "your account is not assigned to a tenant")
    roles = frozenset(Role(r) for r in claims.roles if r in Role.__members__)
    return Actor(user=claims.username, tenant=tenant, roles=roles, unit_id=claims.unit, home=path,
                 subject=claims.subject)


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    token = credentials.credentials if credentials else None
    if token is None and SESSION_COOKIE in request.cookies:
        token = await request.app.state.sessions.access_token(request.cookies[SESSION_COOKIE])
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


class TenantGuard:
    """Permission to ``action`` the ``resource`` of the tenant named in the path."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource, self.action = resource, action

    async def __call__(self, request: Request, actor: CurrentActor, tenant: CurrentTenant) -> Actor:
        authorizer = await request.app.state.authorizer.get()
        if not authorizer.decide(actor.roles, actor.home, tenant.path, self.resource, self.action):
            raise ApiError(403, "forbidden", f"you may not {self.action} {self.resource} of tenant {tenant.code}")
        return actor


class Guard:
    """Permission to ``action`` the ``resource`` at the actor's own tenant (routes without {code})."""

    def __init__(self, resource: str, action: str) -> None:
        self.resource, self.action = resource, action

    async def __call__(self, request: Request, actor: CurrentActor) -> Actor:
        authorizer = await request.app.state.authorizer.get()
        if not authorizer.decide(actor.roles, actor.home, actor.home, self.resource, self.action):
            raise ApiError(403, "forbidden", f"you may not {self.action} {self.resource}")
        return actor
