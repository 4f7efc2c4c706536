"""Routes for tenant admins to manage people (人员管理) — only inside their own subtree (the guard's "down"), giving
roles by the grant rule (iam/policies.py: separation of duties). Keycloak is reached as the API's service account
(``users_client``: manage-users only), never as the master realm's admin; the rules and the history are in
``sso.people``.

Refusals, each with a stable ``error``: 403 ``forbidden`` (not an admin of this subtree), ``role_not_grantable``
(a role this admin may not give), ``own_account`` (one's own roles, unit or account); 404 ``user_not_found``
(no such person in this subtree); 409 ``user_exists``; 422 ``validation_error``, ``invalid_user``,
``unit_required``, ``unknown_unit``, ``weak_password``; 503 ``identity_provider_unavailable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from iam.actors import Actor, Role
from iam.policies import GrantRefusal, grant_refusal
from infra.db import sync_engine
from infra.edge import Id
from infra.settings import Settings
from infra.times import Time
from sso.access import TenantGuard
from sso.people import People, Person, PersonChanges
from sso.realm import users_client
from sso.users import NewUser
from tenants.binding import CurrentTenant

router = APIRouter(prefix="/api/v1/tenants/{code}/users", tags=["users"])

T = TypeVar("T")
Username = Annotated[str, Path(min_length=1, max_length=255, description="the person's username")]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    password: str = Field(min_length=8, max_length=100, description="the initial password (never recorded)")
    roles: list[Role] = Field(min_length=1, max_length=9)
    unit_id: Id | None = Field(None, description="a unit of this tenant: needed by a handler or department_handler")
    name: str | None = Field(None, max_length=100, description="the person's name as people call them")
    email: str | None = Field(None, max_length=200)
    must_change_password: bool = Field(True, description="the person sets a password of its own at first sign-in")


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Absent: unchanged. The name and the roles cannot be null; the unit can (no unit).
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    unit_id: Id | None = None
    roles: list[Role] = Field(None, min_length=1, max_length=9,  # type: ignore[assignment]
                              description="the roles the person holds after the change (to take all, disable)")


class UserOut(BaseModel):
    username: str
    name: str
    enabled: bool
    tenant: str
    tenant_name: str
    tenant_path: str | None
    unit_id: int | None
    unit_name: str | None
    unit_active: bool | None = Field(None, description="false: the person's unit was deactivated")
    roles: list[Role]
    must_change_password: bool
    created_at: Time | None = None


class RoleGrant(BaseModel):
    """Whether the admin asking may give this role to people of this tenant, and if not, why."""

    role: Role
    grantable: bool
    refusal: GrantRefusal | None = None


class TemporaryPassword(BaseModel):
    username: str
    temporary_password: str = Field(description="shown once: the person must set its own at the next sign-in")


def _out(person: Person) -> UserOut:
    user = person.user
    created = datetime.fromtimestamp(user.created_ms / 1000, UTC) if user.created_ms else None
    return UserOut(username=user.username, name=user.name, enabled=user.enabled, tenant=user.tenant,
                   tenant_name=person.tenant_name, tenant_path=user.tenant_path, unit_id=user.unit_id,
                   unit_name=person.unit_name, unit_active=person.unit_active, roles=[Role(r) for r in user.roles],
                   must_change_password=user.must_change_password, created_at=created)


async def _with_people(settings: Settings, actor: Actor, work: Callable[[People], T]) -> T:
    """``work`` on the people's service in a thread (python-keycloak is synchronous), with an engine of its own."""

    def run() -> T:
        engine = sync_engine(settings, pool_size=1)
        try:
            return work(People(users_client(settings), engine, actor))
        finally:
            engine.dispose()

    return await asyncio.to_thread(run)


Reader = Annotated[Actor, Depends(TenantGuard("user", "read"))]
Admin = Annotated[Actor, Depends(TenantGuard("user", "write"))]


@router.get("", response_model=list[UserOut])
async def get_users(
    request: Request, tenant: CurrentTenant, reader: Reader,
    subtree: Annotated[bool, Query(description="the people of the tenants below too")] = False,
    first: Annotated[int, Query(ge=0, le=100_000)] = 0,
    most: Annotated[int, Query(ge=1, le=500, alias="max")] = 200,
) -> list[UserOut]:
    """The people of this tenant (or of its subtree), by username, with their names, unit, roles and whether
    they may sign in."""
    people = await _with_people(request.app.state.settings, reader,
                                lambda p: p.list(tenant.path, subtree=subtree, first=first, most=most))
    return [_out(p) for p in people]


@router.get("/grantable-roles", response_model=list[RoleGrant])
async def grantable_roles(tenant: CurrentTenant, admin: Admin) -> list[RoleGrant]:
    """Each role, and whether the admin asking may give it to people of this tenant (the grant rule,
    iam/policies.py); a refusal's word says why. One's own roles are never changed by oneself."""
    return [RoleGrant(role=role, grantable=(why := grant_refusal(admin.roles, role)) is None, refusal=why)
            for role in Role]


@router.post("", response_model=UserOut, status_code=201)
async def add_user(request: Request, tenant: CurrentTenant, body: UserIn, admin: Admin) -> UserOut:
    """Create a person in this tenant with an initial password (by default one they must change at first
    sign-in), roles this admin may give and, for a unit's staff, a unit of this tenant. Recorded."""
    user = NewUser(body.username, body.password, tenant.code, [r.value for r in body.roles], body.unit_id,
                   body.name, body.email, temporary=body.must_change_password)
    return _out(await _with_people(request.app.state.settings, admin, lambda p: p.create(user)))


@router.patch("/{username}", response_model=UserOut)
async def change_user(request: Request, tenant: CurrentTenant, username: Username, body: UserPatch,
                      admin: Admin) -> UserOut:
    """Change a person of this tenant's subtree: name, unit, roles (the set they hold afterwards: roles given and
    taken). Taking a role or changing the unit ends their sessions at once. Recorded."""
    fields = body.model_dump(exclude_unset=True)
    changes = PersonChanges(
        name=fields.get("name"), unit=(fields["unit_id"],) if "unit_id" in fields else None,
        roles=frozenset(fields["roles"]) if "roles" in fields else None)
    person = await _with_people(request.app.state.settings, admin, lambda p: p.change(username, tenant.path, changes))
    return _out(person)


@router.post("/{username}/disable", status_code=204)
async def disable(request: Request, tenant: CurrentTenant, username: Username, admin: Admin) -> None:
    """Disable a person of this tenant's subtree: their sessions end, their tokens stop working within a second.
    Recorded."""
    await _with_people(request.app.state.settings, admin, lambda p: p.set_enabled(username, tenant.path, False))


@router.post("/{username}/enable", status_code=204)
async def enable(request: Request, tenant: CurrentTenant, username: Username, admin: Admin) -> None:
    """Let a disabled person of this tenant's subtree sign in again (with the roles they hold). Recorded."""
    await _with_people(request.app.state.settings, admin, lambda p: p.set_enabled(username, tenant.path, True))


@router.post("/{username}/reset-password", response_model=TemporaryPassword)
async def reset(request: Request, tenant: CurrentTenant, username: Username, admin: Admin) -> TemporaryPassword:
    """A new temporary password for a person of this tenant's subtree, shown once in this answer (never kept,
    logged or recorded); they set their own at the next sign-in. Recorded as a reset, without the password."""
    password = await _with_people(request.app.state.settings, admin,
                                  lambda p: p.reset_password(username, tenant.path))
    return TemporaryPassword(username=username, temporary_password=password)
