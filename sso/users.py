"""People in Keycloak: created in a tenant (and maybe a unit) with roles, changed, disabled, listed, given a
temporary password. The steps Keycloak takes, and the checks every caller shares (the API's admins through
``sso.people``, the CLI and the demo directly): roles that make sense with the unit, the unit one of the person's
tenant, and, for an admin asking, the grant rule (``iam.policies``).

A user's tenant path and unit are user attributes (mapped into every access token) and the user
is a member of the tenant's (or unit's) group, so the realm's own console shows the same tree.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from iam.actors import UNIT_ROLES, Role
from iam.policies import GrantRefusal, refused_changes
from infra.error_codes import ErrorCode
from infra.refusals import Conflict, Forbidden, Invalid, NotFound, Unavailable
from sso.groups import group_id_for
from sso.revocations import revoke
from tenants.codes import validate_code


class UserError(Invalid, ValueError):
    """A user cannot be created or changed as asked; the message says why."""

    code = ErrorCode.invalid_user


class GrantRefused(UserError):
    """The person asking may not give (or take) these roles (iam/policies.py, ``refused_changes``); ``roles`` names
    each with why (``GrantRefusal``)."""

    status, code = Forbidden.status, ErrorCode.role_not_grantable


class OwnAccount(UserError):
    """Nobody changes their own roles or unit, nor disables themselves: another admin does it."""

    status, code = Forbidden.status, ErrorCode.own_account


class UserExists(UserError):
    """Keycloak holds a user of this username (or email) already: usernames are one namespace for the province."""

    status, code = Conflict.status, ErrorCode.user_exists


class UserNotFound(UserError):
    """No such user, or not one of the asking admin's subtree: the same answer, so neither tells of the other."""

    status, code = NotFound.status, ErrorCode.user_not_found


class FieldRefused(UserError):
    """A value is refused (Keycloak's user profile, or the platform's rules), said in plain words with the API's
    field name, for a form to show beside the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}", fields=[{"field": field_name, "message": message}])


class RolesRequired(FieldRefused):
    """A person needs at least one role (to take them all, disable the person)."""

    code = ErrorCode.roles_required


class UnitRequired(FieldRefused):
    """A unit's staff (handler, department_handler) work in one unit of their tenant: it must be named."""

    code = ErrorCode.unit_required


class UnknownUnit(FieldRefused):
    """The unit is not an active unit of the person's own tenant."""

    code = ErrorCode.unknown_unit


class WeakPassword(FieldRefused):
    """The password does not meet the realm's password policy (sso/realm.py, ``PASSWORD_POLICY``)."""

    code = ErrorCode.weak_password


class IdentityProviderUnavailable(UserError, Unavailable):
    """Keycloak did not answer, or did not do what was asked: nothing was changed, try again."""

    status, code = Unavailable.status, ErrorCode.identity_provider_unavailable


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
    if exc.response_code is None or exc.response_code >= 500:
        return IdentityProviderUnavailable(f"Keycloak did not answer (status {exc.response_code}): nothing was "
                                           "changed, try again")
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
        return WeakPassword("password", "the password does not meet the realm's password policy: at least 10 "
                                        "characters, not the username, none of the last 5")
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
    # The person sets a password of its own at first sign-in (Keycloak's required action UPDATE_PASSWORD): what an
    # admin creating a person gives; provisioning (the CLI, the demo, the tests) sets a final one.
    temporary: bool = False


@dataclass
class UserView:
    username: str
    enabled: bool
    tenant_path: str | None
    unit_id: int | None
    roles: list[str] = field(default_factory=list)
    name: str = ""
    id: str = ""  # Keycloak's id: the tokens' subject
    must_change_password: bool = False
    created_ms: int | None = None

    @property
    def tenant(self) -> str:
        """The code of the person's own tenant (the last part of its path)."""
        return (self.tenant_path or "").rsplit("/", 1)[-1]


def tenant_path(engine: Engine, code: str) -> str:
    validate_code(code)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT path, status FROM public.tenants WHERE code = :c"), {"c": code}).first()
    if row is None or row.status != "active":
        raise UserError(f"there is no active tenant {code}")
    return row.path


def known_roles(roles: Iterable[str]) -> frozenset[Role]:
    """The roles as the platform's; a name it does not know is refused (422)."""
    roles = list(roles)
    unknown = [r for r in roles if r not in Role.__members__]
    if unknown:
        raise FieldRefused("roles", f"each role must be one of {', '.join(Role)}; these are not: {', '.join(unknown)}")
    return frozenset(Role(r) for r in roles)


def check_roles(roles: Iterable[str], unit_id: int | None) -> frozenset[Role]:
    """The roles as the platform's, refused when they make no sense: none at all, one the platform does not know,
    or a unit's staff (handler, department_handler) without a unit to work in."""
    held = known_roles(roles)
    if not held:
        raise RolesRequired("roles", "a person needs at least one role; to take away every role, disable the person")
    if held & UNIT_ROLES and unit_id is None:
        staff = ", ".join(sorted(held & UNIT_ROLES))
        raise UnitRequired("unit_id", f"a {staff} works in one of the tenant's units: choose the unit")
    return held


def unit_name(engine: Engine, tenant_code: str, unit_id: int) -> str:
    """The name of an active unit of this tenant; UnknownUnit otherwise (a unit is of the tenant its person is in)."""
    validate_code(tenant_code)
    with engine.connect() as conn:
        name = conn.execute(text(f'SELECT name FROM "t_{tenant_code}".units WHERE id = :u AND active'),
                            {"u": unit_id}).scalar()
    if name is None:
        raise UnknownUnit("unit_id", f"tenant {tenant_code} has no active unit {unit_id}: a person's unit is one "
                                     "of the units of the tenant the person is in")
    return str(name)


def grant_refused(refused: dict[Role, GrantRefusal]) -> GrantRefused:
    """The 403 for roles this person may not give or take, each named with why."""
    reasons = {
        GrantRefusal.own_roles: "nobody changes their own roles: another admin does it",
        GrantRefusal.not_admin: "only an admin gives or takes roles",
        GrantRefusal.not_held: "supervisor, auditor and admin are given only by an admin who holds that role itself",
    }
    whys = sorted({why for why in refused.values()})
    return GrantRefused(f"you may not give {', '.join(sorted(refused))}: " + "; ".join(reasons[w] for w in whys),
                        params={"roles": sorted(refused)},
                        refused=[{"role": role.value, "why": why.value} for role, why in sorted(refused.items())])


def create_user(kc: KeycloakAdmin, engine: Engine, user: NewUser, *, granter: frozenset[Role] | None = None) -> str:
    """Create an enabled user with a password, roles, tenant (and unit); returns the Keycloak id. ``granter``: the
    roles of the person asking (the API's admins), who may give only what ``iam.policies.grantable`` allows; None:
    provisioning (the CLI, the demo), unrestricted. Either way the roles must make sense (``check_roles``) and the
    unit be one of the tenant's. Nothing is left in Keycloak when a step fails."""
    if granter is not None and (refused := refused_changes(granter, frozenset(), known_roles(user.roles))):
        raise grant_refused(refused)
    held = check_roles(user.roles, user.unit_id)
    path = tenant_path(engine, user.tenant)
    if user.unit_id is not None:
        unit_name(engine, user.tenant, user.unit_id)
    attributes = {"tenant_path": [path]}
    if user.unit_id is not None:
        attributes["unit"] = [str(user.unit_id)]
    name = user.name or user.username
    try:
        user_id = kc.create_user({
            "username": user.username, "enabled": True, "firstName": name, "lastName": user.tenant,
            "email": user.email or f"{user.username}@hotline.invalid", "emailVerified": True,
            "attributes": attributes,
            "credentials": [{"type": "password", "value": user.password, "temporary": user.temporary}],
        }, exist_ok=False)
    except KeycloakError as exc:
        raise keycloak_refusal(exc, user) from None
    try:
        # The roles available to the user, not the realm's list: reading that needs view-realm, which the API's
        # service account does not hold.
        wanted = {r.value for r in held}
        kc.assign_realm_roles(user_id, [r for r in kc.get_available_realm_roles_of_user(user_id)
                                        if r["name"] in wanted])
    except KeycloakError as exc:  # a person without their roles is not what was asked: none at all
        with contextlib.suppress(KeycloakError):
            kc.delete_user(user_id)
        raise IdentityProviderUnavailable(f"Keycloak did not give the roles (status {exc.response_code}): no user "
                                          "was made, try again") from None
    join_group(kc, engine, user_id, path, user.unit_id)
    return user_id


def join_group(kc: KeycloakAdmin, engine: Engine, user_id: str, path: str, unit_id: int | None,
               *, leave: tuple[str, int | None] | None = None) -> None:
    """Make the user a member of its tenant's (or unit's) group, leaving ``leave`` (path, unit) first. The groups
    mirror the tree for Keycloak's own console; the token's attributes decide access, so a group not there yet
    (a tenant before `hotline sso sync`) is left out rather than failing the change."""
    if leave is not None:
        with contextlib.suppress(KeycloakError):
            kc.group_user_remove(user_id, group_id_for(engine, kc, *leave))
    with contextlib.suppress(KeycloakError):
        kc.group_user_add(user_id, group_id_for(engine, kc, path, unit_id))


def find_user(kc: KeycloakAdmin, username: str) -> dict:
    matches = [u for u in kc.get_users({"username": username, "exact": "true"}) if u["username"] == username]
    if not matches:
        raise UserNotFound(f"there is no user {username}")
    return matches[0]


def user_within(kc: KeycloakAdmin, username: str, within: str | None) -> dict:
    """The user of this username whose tenant is ``within`` (a tenant path) or below it; UserNotFound otherwise."""
    user = find_user(kc, username)
    path = (user.get("attributes") or {}).get("tenant_path", [None])[0]
    if within is not None and (path is None or not (path == within or path.startswith(within + "/"))):
        raise UserNotFound(f"there is no user {username} in tenant {within.rsplit('/', 1)[-1]} or below it")
    return user


def view(kc: KeycloakAdmin, user: dict, *, roles: list[str] | None = None) -> UserView:
    """What the platform says of a Keycloak user (its platform roles read unless given)."""
    attrs = user.get("attributes") or {}
    unit = attrs.get("unit", [None])[0]
    if roles is None:
        roles = sorted(r["name"] for r in kc.get_realm_roles_of_user(user["id"]) if r["name"] in Role.__members__)
    return UserView(user["username"], bool(user.get("enabled", False)), attrs.get("tenant_path", [None])[0],
                    int(unit) if unit and unit.isdigit() else None, roles, name=str(user.get("firstName") or ""),
                    id=user["id"], must_change_password="UPDATE_PASSWORD" in (user.get("requiredActions") or []),
                    created_ms=user.get("createdTimestamp"))


def disable_user(kc: KeycloakAdmin, engine: Engine, username: str, *, within: str | None = None,
                 by: str = "cli") -> str:
    """Disable a user and end everything they hold: their Keycloak sessions (no refresh, no new token), their
    access tokens (refused by every API process within about a second, sso/revocations.py) and their console
    sessions. Returns the Keycloak id (the tokens' subject)."""
    user = user_within(kc, username, within)
    with engine.begin() as conn:
        end_access(kc, conn, user, by, disable=True)
    return user["id"]


def end_access(kc: KeycloakAdmin, conn: Connection, user: dict, by: str, *, disable: bool) -> None:
    """Disable the user (``disable``) and end their Keycloak sessions; refuse their tokens issued until now and drop
    their console sessions in ``conn``'s transaction (``revoke``)."""
    if disable:
        kc.update_user(user["id"], {"enabled": False})
    kc.user_logout(user["id"])
    revoke(conn, user["id"], by)


def list_users(kc: KeycloakAdmin, path: str, *, subtree: bool = False, first: int = 0,
               most: int = 1000) -> list[UserView]:
    """The users whose tenant is exactly this one (``subtree``: this one or below), ``most`` of them from
    ``first``, by username."""
    query: dict[str, Any] = {"q": f"tenant_path:{path}", "briefRepresentation": "false", "first": first, "max": most}
    if subtree:
        query["exact"] = "false"  # Keycloak matches the attribute as a substring: kept below only as a prefix
    users = [u for u in kc.get_users(query)
             if _within((u.get("attributes") or {}).get("tenant_path", [""])[0], path, subtree)]
    if not users:
        return []

    def roles(user: dict) -> list[str]:
        return sorted(r["name"] for r in kc.get_realm_roles_of_user(user["id"]) if r["name"] in Role.__members__)

    # One request per person for their roles (Keycloak's listing carries none): a few at a time.
    with ThreadPoolExecutor(max_workers=min(6, len(users))) as pool:
        held = list(pool.map(roles, users))
    return sorted((view(kc, u, roles=r) for u, r in zip(users, held, strict=True)), key=lambda v: v.username)


def _within(path: str, top: str, subtree: bool) -> bool:
    return path == top or (subtree and path.startswith(top + "/"))


def change_user(kc: KeycloakAdmin, engine: Engine, user: dict, *, name: str | None = None,
                unit: tuple[int | None] | None = None, give: frozenset[Role] = frozenset(),
                take: frozenset[Role] = frozenset()) -> None:
    """Change a user's name, unit (``unit``: a one-tuple, so that None can mean "no unit") and roles in Keycloak:
    the attributes and name in one update, then the roles, then the unit's group."""
    attrs = dict(user.get("attributes") or {})
    path = attrs.get("tenant_path", [""])[0]
    old_unit = attrs.get("unit", [None])[0]
    if name is not None or unit is not None:
        if unit is not None:
            if unit[0] is None:
                attrs.pop("unit", None)
            else:
                attrs["unit"] = [str(unit[0])]
        body = {key: user[key] for key in ("username", "firstName", "lastName", "email", "emailVerified", "enabled")
                if key in user}
        body["attributes"] = attrs
        if name is not None:
            body["firstName"] = name
        try:
            kc.update_user(user["id"], body)
        except KeycloakError as exc:
            raise keycloak_refusal(exc, NewUser(user["username"], "", path.rsplit("/", 1)[-1], [], name=name,
                                                email=user.get("email"))) from None
    if give:
        wanted = {r.value for r in give}
        kc.assign_realm_roles(user["id"], [r for r in kc.get_available_realm_roles_of_user(user["id"])
                                           if r["name"] in wanted])
    if take:
        unwanted = {r.value for r in take}
        kc.delete_realm_roles_of_user(user["id"], [r for r in kc.get_realm_roles_of_user(user["id"])
                                                   if r["name"] in unwanted])
    if unit is not None:
        before = int(old_unit) if old_unit and old_unit.isdigit() else None
        join_group(kc, engine, user["id"], path, unit[0], leave=(path, before))


# A temporary password is read out or handed over once: no letters that look alike (0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    """A fresh random password the realm's policy takes (14 characters, e.g. ``k7Pm-x3Qa-9Rtw``)."""
    while True:
        groups = ["".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3)]
        word = "-".join(groups)
        if any(c.isdigit() for c in word) and any(c.isupper() for c in word) and any(c.islower() for c in word):
            return word


def reset_password(kc: KeycloakAdmin, user: dict) -> str:
    """Give the user a new temporary password (they must set their own at the next sign-in: Keycloak's required
    action UPDATE_PASSWORD) and end their Keycloak sessions. Returns the password, to be shown once and never
    kept, logged or recorded."""
    password = temporary_password()
    kc.set_user_password(user["id"], password, temporary=True)
    kc.user_logout(user["id"])
    return password
