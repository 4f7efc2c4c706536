"""People in Keycloak: created in a tenant (and maybe a unit) with roles, disabled, listed.

A user's tenant path and unit are user attributes (mapped into every access token) and the user
is a member of the tenant's (or unit's) group, so the realm's own console shows the same tree.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from sqlalchemy import text
from sqlalchemy.engine import Engine

from iam.actors import Role
from iam.policies import grantable
from infra.error_codes import ErrorCode
from infra.refusals import Conflict, Forbidden, Invalid, NotFound
from sso.groups import group_id_for
from sso.revocations import revoke
from tenants.codes import validate_code


class UserError(Invalid, ValueError):
    """A user cannot be created or changed as asked; the message says why."""

    code = ErrorCode.invalid_user


class GrantRefused(UserError):
    """The person asking may not give these roles (iam/policies.py, ``grantable``)."""

    status, code = Forbidden.status, ErrorCode.grant_refused


class UserExists(UserError):
    """Keycloak holds a user of this username (or email) already: usernames are one namespace for the province."""

    status, code = Conflict.status, ErrorCode.user_exists


class UserNotFound(UserError):
    """No such user, or not one of the asking admin's subtree: the same answer, so neither tells of the other."""

    status, code = NotFound.status, ErrorCode.user_not_found


class FieldRefused(UserError):
    """Keycloak's user profile refuses a value (its validators), said in plain words with the API's field name."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}", fields=[{"field": field_name, "message": message}])


# What Keycloak's person-name validator (person-name-prohibited-characters, on firstName and lastName) refuses by
# default, besides control characters: named back to the admin, who otherwise sees only that the name was refused.
NAME_REFUSED = frozenset('<>&"$%!#?§;*~/\\|^=[]{}()')
# Keycloak's attributes as the API's fields: the person's name is firstName (lastName holds the tenant's code).
_FIELDS = {"firstName": "name", "lastName": "name", "email": "email", "username": "username"}


def _keycloak_body(exc: KeycloakError) -> dict[str, Any]:
    try:
        body = json.loads(exc.response_body or b"")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def keycloak_refusal(exc: KeycloakError, user: NewUser) -> UserError:
    """Keycloak's refusal to create ``user`` in plain words, with the API's status: a user that exists is a 409,
    a value its user profile refuses a 422 naming the field (and, for a name, the characters). Never Keycloak's raw
    body: its bytes and JSON are not words for a person."""
    body = _keycloak_body(exc)
    message = str(body.get("errorMessage") or body.get("error_description") or "")
    if exc.response_code == 409:
        # Without an email of its own a user gets one made of the username: that one clashing is the username.
        if "email" in message.lower() and "username" not in message.lower() and user.email:
            return UserExists(f"a user with the email address {user.email} already exists")
        return UserExists(f"a user with the username {user.username} already exists")
    problems = body.get("errors") if isinstance(body.get("errors"), list) else [body]
    for problem in problems:
        if isinstance(problem, dict) and problem.get("field") in _FIELDS:
            return _field_refused(_FIELDS[problem["field"]], str(problem.get("errorMessage") or ""), user)
    if "password" in message.lower():
        return FieldRefused("password", "the password does not meet the realm's password policy")
    return UserError(f"Keycloak did not create user {user.username} (status {exc.response_code}); "
                     "check the fields and try again")


def _field_refused(field_name: str, key: str, user: NewUser) -> FieldRefused:
    if "person-name" in key and field_name == "name":
        value = user.name or user.username
        refused = " ".join(sorted({c for c in value if c in NAME_REFUSED}))
        if refused:
            return FieldRefused("name", f"a person's name may not contain these characters: {refused}")
        return FieldRefused("name", "a person's name may not contain control characters or symbols")
    if "email" in key:
        return FieldRefused(field_name, "this is not a valid email address")
    if "length" in key:
        return FieldRefused(field_name, "this is too long")
    if "exists" in key:
        return UserExists(f"a user with this {field_name} already exists")
    return FieldRefused(field_name, "Keycloak does not accept this value")


@dataclass
class NewUser:
    username: str
    password: str
    tenant: str
    roles: list[str]
    unit_id: int | None = None
    name: str | None = None
    email: str | None = None


@dataclass
class UserView:
    username: str
    enabled: bool
    tenant_path: str | None
    unit_id: int | None
    roles: list[str] = field(default_factory=list)


def tenant_path(engine: Engine, code: str) -> str:
    validate_code(code)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT path, status FROM public.tenants WHERE code = :c"), {"c": code}).first()
    if row is None or row.status != "active":
        raise UserError(f"there is no active tenant {code}")
    return row.path


def create_user(kc: KeycloakAdmin, engine: Engine, user: NewUser, *, granter: frozenset[Role] | None = None) -> str:
    """Create an enabled user with a password, roles, tenant (and unit); returns the Keycloak id. ``granter``: the
    roles of the person asking (the API's admins), who may give only what ``grantable`` allows; None: provisioning
    (the CLI, the demo), unrestricted."""
    unknown = [r for r in user.roles if r not in Role.__members__]
    if unknown or not user.roles:
        raise FieldRefused("roles", f"each role must be one of {', '.join(Role)}; these are not: "
                                    f"{', '.join(unknown) or 'none given'}")
    if granter is not None:
        refused = sorted(set(user.roles) - {r.value for r in grantable(granter)})
        if refused:
            raise GrantRefused(f"you may grant only roles you hold yourself: not {', '.join(refused)}",
                               params={"roles": refused})
    path = tenant_path(engine, user.tenant)
    if user.unit_id is not None:
        with engine.connect() as conn:
            found = conn.execute(text(f'SELECT 1 FROM "t_{user.tenant}".units WHERE id = :u AND active'),
                                 {"u": user.unit_id}).first()
        if not found:
            raise FieldRefused("unit_id", f"tenant {user.tenant} has no active unit {user.unit_id}")
    attributes = {"tenant_path": [path]}
    if user.unit_id is not None:
        attributes["unit"] = [str(user.unit_id)]
    name = user.name or user.username
    try:
        user_id = kc.create_user({
            "username": user.username, "enabled": True, "firstName": name, "lastName": user.tenant,
            "email": user.email or f"{user.username}@hotline.invalid", "emailVerified": True,
            "attributes": attributes,
            "credentials": [{"type": "password", "value": user.password, "temporary": False}],
        }, exist_ok=False)
    except KeycloakError as exc:
        raise keycloak_refusal(exc, user) from None
    # The roles available to the user, not the realm's list: reading that needs view-realm, which the API's
    # service account does not hold.
    wanted = set(user.roles)
    kc.assign_realm_roles(user_id, [r for r in kc.get_available_realm_roles_of_user(user_id) if r["name"] in wanted])
    # Before `hotline sso sync` the group may not exist yet; the token's attributes decide access anyway.
    with contextlib.suppress(KeycloakError):
        kc.group_user_add(user_id, group_id_for(engine, kc, path, user.unit_id))
    return user_id


def find_user(kc: KeycloakAdmin, username: str) -> dict:
    matches = [u for u in kc.get_users({"username": username, "exact": "true"}) if u["username"] == username]
    if not matches:
        raise UserNotFound(f"there is no user {username}")
    return matches[0]


def _user_within(kc: KeycloakAdmin, username: str, within: str | None) -> dict:
    user = find_user(kc, username)
    path = (user.get("attributes") or {}).get("tenant_path", [None])[0]
    if within is not None and (path is None or not (path == within or path.startswith(within + "/"))):
        raise UserNotFound(f"there is no user {username} in tenant {within.rsplit('/', 1)[-1]} or below it")
    return user


def disable_user(kc: KeycloakAdmin, engine: Engine, username: str, *, within: str | None = None,
                 by: str = "cli") -> str:
    """Disable a user and end everything they hold: their Keycloak sessions (no refresh, no new token), their
    access tokens (refused by every API process within about a second, sso/revocations.py) and their console
    sessions. Returns the Keycloak id (the tokens' subject)."""
    user = _user_within(kc, username, within)
    kc.update_user(user["id"], {"enabled": False})
    kc.user_logout(user["id"])
    with engine.begin() as conn:
        revoke(conn, user["id"], by)
    return user["id"]


def list_users(kc: KeycloakAdmin, path: str) -> list[UserView]:
    """The users whose tenant is exactly this one."""
    users = kc.get_users({"q": f"tenant_path:{path}", "briefRepresentation": "false", "max": 1000})
    views = []
    for u in users:
        attrs = u.get("attributes") or {}
        unit = attrs.get("unit", [None])[0]
        roles = sorted(r["name"] for r in kc.get_realm_roles_of_user(u["id"]) if r["name"] in Role.__members__)
        views.append(UserView(u["username"], u.get("enabled", False), attrs.get("tenant_path", [None])[0],
                              int(unit) if unit else None, roles))
    return views
