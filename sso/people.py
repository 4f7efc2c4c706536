"""The people of an admin's subtree (人员管理), as the API manages them: listed with names, created, changed (name,
unit, roles given and taken), disabled and enabled, given a temporary password.

Every change is checked against the grant rule (``iam.policies``: separation of duties; nobody changes their own
roles), made in Keycloak as the API's service account (``sso.realm.users_client``: manage-users only), and recorded
in the history of administration (``infra.change_log``) in the same step: the record is written first in a
transaction that commits only once Keycloak has done the change, so a change Keycloak refuses leaves no record, and
a recorded change is one Keycloak made. A password is never recorded, logged or kept.

The calls are synchronous (python-keycloak): the API runs each in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from sqlalchemy import text
from sqlalchemy.engine import Engine

from iam.actors import Actor, Role
from iam.policies import refused_changes
from infra.change_log import Change, ChangeAction, ChangeSubject, record_sync
from sso.users import (
    IdentityProviderUnavailable,
    NewUser,
    OwnAccount,
    UserView,
    change_user,
    check_roles,
    create_user,
    end_access,
    find_user,
    grant_refused,
    known_roles,
    list_users,
    reset_password,
    unit_name,
    user_within,
    view,
)
from tenants.codes import validate_code


@dataclass
class Person:
    """A person as the console shows them: by name, with their tenant's and unit's names."""

    user: UserView
    tenant_name: str = ""
    unit_name: str | None = None
    unit_active: bool | None = None  # False: the unit was deactivated, the person is for an admin to move


@dataclass
class PersonChanges:
    """What a PATCH asks; a field left None is unchanged (``unit``: a one-tuple, so that None can clear it)."""

    name: str | None = None
    unit: tuple[int | None] | None = None
    roles: frozenset[Role] | None = None


def _state(person: Person) -> dict[str, Any]:
    """A person's settings as the history keeps them: names beside ids, so the history reads without lookups."""
    user = person.user
    return {"name": user.name, "tenant": user.tenant, "unit_id": user.unit_id, "unit_name": person.unit_name,
            "roles": sorted(user.roles), "enabled": user.enabled}


class People:
    """One admin's work on the people of its subtree (``actor``: who asks; every change is theirs in the record)."""

    def __init__(self, kc: KeycloakAdmin, engine: Engine, actor: Actor) -> None:
        self.kc, self.engine, self.actor = kc, engine, actor

    # ---- reading ------------------------------------------------------------------------------

    def list(self, path: str, *, subtree: bool = False, first: int = 0, most: int = 200) -> list[Person]:
        """The people of the tenant at ``path`` (and below it, ``subtree``) with their tenant's and unit's names."""
        return self._named(self._keycloak(lambda: list_users(self.kc, path, subtree=subtree, first=first,
                                                                 most=most)))

    def _named(self, users: list[UserView]) -> list[Person]:
        """Each user with the names of its tenant and unit, read from the registry and each tenant's units."""
        codes = sorted({u.tenant for u in users if u.tenant})
        if not codes:
            return [Person(u) for u in users]
        with self.engine.connect() as conn:
            tenants = dict(conn.execute(text("SELECT code, name FROM public.tenants WHERE code = ANY(:c)"),
                                        {"c": codes}).all())
            units: dict[tuple[str, int], tuple[str, bool]] = {}
            wanted = {u.tenant for u in users if u.unit_id is not None and u.tenant in tenants}
            for code in sorted(wanted):
                validate_code(code)  # a registry code names the schema, never a string of a request
                for unit_id, name, active in conn.execute(text(f'SELECT id, name, active FROM "t_{code}".units')):
                    units[(code, unit_id)] = (name, active)
        named = []
        for user in users:
            unit = units.get((user.tenant, user.unit_id)) if user.unit_id is not None else None
            named.append(Person(user, tenants.get(user.tenant, ""), unit[0] if unit else None,
                                unit[1] if unit else None))
        return named

    # ---- changing -----------------------------------------------------------------------------

    def create(self, user: NewUser) -> Person:
        """A new person of ``user.tenant`` (the guard has checked it is of the admin's subtree), with the roles this
        admin may give. Keycloak refuses a username that exists (409) or a password against the realm's policy."""
        # Checked before anything is written (create_user checks them again, as it does for the CLI): who may give
        # these roles first, then whether they make sense with the unit.
        if refused := refused_changes(self.actor.roles, frozenset(), known_roles(user.roles)):
            raise grant_refused(refused)
        check_roles(user.roles, user.unit_id)
        unit = unit_name(self.engine, user.tenant, user.unit_id) if user.unit_id is not None else None
        state = {"name": user.name or user.username, "tenant": user.tenant, "unit_id": user.unit_id,
                 "unit_name": unit, "roles": sorted(user.roles), "enabled": True,
                 "must_change_password": user.temporary}
        with self.engine.begin() as conn:
            record_sync(conn, self._change(user.tenant, user.username, ChangeAction.create, None, state))
            self._keycloak(lambda: create_user(self.kc, self.engine, user, granter=self.actor.roles))
        return self._after(user.username)

    def change(self, username: str, within: str, changes: PersonChanges) -> Person:
        """Change a person's name, unit or roles. Giving follows the grant rule; nobody changes their own roles or
        unit; the roles must still make sense with the unit. Roles taken or a unit changed take effect at once: the
        person's tokens are refused from the next second and their console sessions end (as disabling does), so
        the next sign-in carries what they hold now."""
        with self.engine.begin() as conn:
            user = self._keycloak(lambda: user_within(self.kc, username, within))
            before = self._named([self._keycloak(lambda: view(self.kc, user))])[0]
            old_roles = frozenset(Role(r) for r in before.user.roles)
            new_roles = changes.roles if changes.roles is not None else old_roles
            new_unit = changes.unit[0] if changes.unit is not None else before.user.unit_id
            own = user["id"] == self.actor.subject
            if own and (new_roles != old_roles or new_unit != before.user.unit_id):
                raise OwnAccount("you may not change your own roles or unit: another admin of your tenant or above "
                                 "does it")
            if refused := refused_changes(self.actor.roles, old_roles, new_roles):
                raise grant_refused(refused)
            check_roles([r.value for r in new_roles], new_unit)
            old: dict[str, Any] = {}
            new: dict[str, Any] = {}
            if changes.name is not None and changes.name != before.user.name:
                old["name"], new["name"] = before.user.name, changes.name
            if new_unit != before.user.unit_id:
                name = unit_name(self.engine, before.user.tenant, new_unit) if new_unit is not None else None
                old.update(unit_id=before.user.unit_id, unit_name=before.unit_name)
                new.update(unit_id=new_unit, unit_name=name)
            if new_roles != old_roles:
                old["roles"], new["roles"] = sorted(old_roles), sorted(new_roles)
            if not new:
                return before
            record_sync(conn, self._change(before.user.tenant, username, ChangeAction.update, old, new))
            self._keycloak(lambda: change_user(
                self.kc, self.engine, user, name=new.get("name"),
                unit=(new_unit,) if "unit_id" in new else None,
                give=new_roles - old_roles, take=old_roles - new_roles))
            if old_roles - new_roles or "unit_id" in new:
                self._keycloak(lambda: end_access(self.kc, conn, user, self.actor.user, disable=False))
        return self._after(username)

    def set_enabled(self, username: str, within: str, enabled: bool) -> None:
        """Disable (ending everything the person holds: sessions, tokens within a second) or enable again. Nobody
        disables themselves. Asking for what already is changes and records nothing."""
        with self.engine.begin() as conn:
            user = self._keycloak(lambda: user_within(self.kc, username, within))
            if user["id"] == self.actor.subject and not enabled:
                raise OwnAccount("you may not disable yourself: another admin of your tenant or above does it")
            if bool(user.get("enabled")) == enabled:
                return
            tenant = (user.get("attributes") or {}).get("tenant_path", [""])[0].rsplit("/", 1)[-1]
            action = ChangeAction.enable if enabled else ChangeAction.disable
            record_sync(conn, self._change(tenant, username, action, {"enabled": not enabled}, {"enabled": enabled}))
            if enabled:
                self._keycloak(lambda: self.kc.update_user(user["id"], {"enabled": True}))
            else:
                self._keycloak(lambda: end_access(self.kc, conn, user, self.actor.user, disable=True))

    def reset_password(self, username: str, within: str) -> str:
        """A new temporary password for the person (they set their own at the next sign-in); their sessions end.
        The record says that it was reset and by whom, never the password."""
        with self.engine.begin() as conn:
            user = self._keycloak(lambda: user_within(self.kc, username, within))
            tenant = (user.get("attributes") or {}).get("tenant_path", [""])[0].rsplit("/", 1)[-1]
            record_sync(conn, self._change(tenant, username, ChangeAction.reset_password, None,
                                           {"must_change_password": True}))
            return self._keycloak(lambda: reset_password(self.kc, user))

    # ---- plumbing -----------------------------------------------------------------------------

    def _after(self, username: str) -> Person:
        return self._named([self._keycloak(lambda: view(self.kc, find_user(self.kc, username)))])[0]

    def _change(self, tenant: str, username: str, action: ChangeAction, old: Any, new: Any) -> Change:
        return Change(tenant=tenant, subject=ChangeSubject.user, key=username, action=action, actor=self.actor.user,
                      actor_name=self.actor.name or None, old=old, new=new)

    @staticmethod
    def _keycloak(call: Any) -> Any:
        """``call()``, with Keycloak not answering (or answering with a failure of its own) said as a 503."""
        try:
            return call()
        except KeycloakError as exc:
            if exc.response_code is not None and exc.response_code < 500:
                raise IdentityProviderUnavailable(f"Keycloak refused a step (status {exc.response_code}): nothing "
                                                  "was changed") from None
            raise IdentityProviderUnavailable("Keycloak did not answer: nothing was changed, try again") from None
