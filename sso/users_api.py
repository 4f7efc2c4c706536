"""Routes for tenant admins to manage people — only inside their own subtree (the guard's "down"), giving only
roles they hold themselves. Keycloak is reached as the API's service account (``users_client``: manage-users
only), never as the master realm's admin."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from iam.actors import Actor, Role
from infra.db import sync_engine
from infra.edge import Id
from sso.access import TenantGuard
from sso.realm import users_client
from sso.users import NewUser, UserView, create_user, disable_user, list_users
from tenants.binding import CurrentTenant

router = APIRouter(prefix="/api/v1/tenants/{code}/users", tags=["users"])


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    password: str = Field(min_length=8, max_length=100)
    roles: list[Role] = Field(min_length=1, max_length=9)
    unit_id: Id | None = None
    name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=200)


class UserOut(BaseModel):
    username: str
    enabled: bool
    tenant_path: str | None
    unit_id: int | None
    roles: list[Role]


def _out(view: UserView) -> UserOut:
    return UserOut(**view.__dict__)


@router.get("", response_model=list[UserOut], dependencies=[Depends(TenantGuard("user", "read"))])
async def get_users(request: Request, tenant: CurrentTenant) -> list[UserOut]:
    """The people of this tenant."""
    kc = users_client(request.app.state.settings)
    return [_out(v) for v in await asyncio.to_thread(list_users, kc, tenant.path)]


Admin = Annotated[Actor, Depends(TenantGuard("user", "write"))]


@router.post("", response_model=UserOut, status_code=201)
async def add_user(request: Request, tenant: CurrentTenant, body: UserIn, admin: Admin) -> UserOut:
    """Create a person in this tenant (an admin reaches only its own subtree and grants only roles it holds)."""
    settings = request.app.state.settings

    def create() -> None:
        engine = sync_engine(settings)
        try:
            create_user(users_client(settings), engine, NewUser(body.username, body.password, tenant.code,
                                                                body.roles, body.unit_id, body.name, body.email),
                        granter=admin.roles)
        finally:
            engine.dispose()

    await asyncio.to_thread(create)  # a refusal is a named UserError: 403, 409 or 422, answered by infra.errors
    return UserOut(username=body.username, enabled=True, tenant_path=tenant.path, unit_id=body.unit_id,
                   roles=sorted(body.roles))


@router.post("/{username}/disable", status_code=204)
async def disable(request: Request, tenant: CurrentTenant, username: str, admin: Admin) -> None:
    """Disable a person of this tenant's subtree: their sessions end, their tokens stop working within a second."""
    settings = request.app.state.settings

    def run() -> None:
        engine = sync_engine(settings)
        try:
            disable_user(users_client(settings), engine, username, within=tenant.path, by=admin.user)
        finally:
            engine.dispose()

    await asyncio.to_thread(run)  # UserNotFound (404) for a user not of this subtree
