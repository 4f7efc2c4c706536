"""The acting person of a request, as an ``Annotated`` dependency.

Until identity lands (issue 4: Keycloak tokens and Casbin), the caller declares who acts in
headers — ``X-Hotline-User``, ``X-Hotline-Tenant``, ``X-Hotline-Roles`` (comma-separated) and
``X-Hotline-Unit`` — and nothing verifies them. That is the one thing issue 4 replaces: the
service layer already decides every action from the ``Actor`` it is given.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from core.actors import Actor, Role
from core.errors import ApiError
from tenants.codes import is_descendant, is_valid_code


async def current_actor(
    x_hotline_user: Annotated[str | None, Header(max_length=100)] = None,
    x_hotline_tenant: Annotated[str | None, Header(max_length=9)] = None,
    x_hotline_roles: Annotated[str | None, Header(max_length=200)] = None,
    x_hotline_unit: Annotated[int | None, Header()] = None,
) -> Actor:
    if not x_hotline_user or not x_hotline_tenant:
        raise ApiError(401, "unauthorized", "say who acts: X-Hotline-User and X-Hotline-Tenant")
    if not is_valid_code(x_hotline_tenant):
        raise ApiError(401, "unauthorized", "X-Hotline-Tenant is not a tenant code")
    try:
        roles = frozenset(Role(r.strip()) for r in (x_hotline_roles or "").split(",") if r.strip())
    except ValueError:
        raise ApiError(401, "unauthorized", f"unknown role in X-Hotline-Roles; roles: {', '.join(Role)}") from None
    return Actor(user=x_hotline_user, tenant=x_hotline_tenant, roles=roles, unit_id=x_hotline_unit)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_reach(actor: Actor, tenant_code: str) -> None:
    """Reading a tenant's data: staff of the tenant itself or of an ancestor (never a sibling)."""
    if actor.tenant != tenant_code and not is_descendant(tenant_code, actor.tenant):
        raise ApiError(403, "forbidden", f"tenant {tenant_code} is outside your reach")
