"""The province's Keycloak realm: settings, roles, clients, token mappers — made to match, idempotently, and verified.

Every step reads first and writes only what differs, so a run with nothing to change makes no
writes; a run ends by reading everything back (``verify_realm``) and fails if Keycloak did not take it.
Clients:
- ``hotline-api``: the API's own (confidential) client; the audience every token must carry;
- ``hotline-api-users``: confidential, client credentials only: its service account holds the few
  realm-management roles managing people needs (``SERVICE_ROLES``); the API manages users with it;
- ``hotline-console``: the web console, public, authorization code with PKCE (S256), exact redirect URIs;
- ``hotline-cli``: public with direct grants (the password grant), for scripts and integration tests —
  the only client of the realm that takes a password; ``admin-cli`` of the realm is closed to it.
The realm: brute-force detection, a password policy, login and admin events, short access tokens, and sign-in
pages in Chinese under the hotline's name: internationalization on with zh-CN its only locale, and the platform's
own login theme ``hotline`` (``sso/theme/hotline``: keycloak.v2 with the hotline's words and colours), which the
embedded Keycloak serves from this package and a Keycloak by URL mounts (README) — ``REALM_SETTINGS``. Only
`hotline sso sync` and provisioning sign in as the master realm's bootstrap admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from iam.actors import Role
from infra.settings import Settings
from sso.credentials import admin_credentials, api_client_secret

API_CLIENT = "hotline-api"
USERS_CLIENT = "hotline-api-users"
CONSOLE_CLIENT = "hotline-console"
CLI_CLIENT = "hotline-cli"
REALM_MANAGEMENT = "realm-management"
USER_ATTRIBUTES = ("tenant_path", "unit")
# What the API does with people (sso/users.py, sso/people.py): find and list them with their roles, create them with
# roles (taken from the roles available to the user, which asks no view-realm) and a group, change, disable and
# enable them, set a temporary password and end their sessions; and the units' groups, written at once
# (sso/unit_groups.py). manage-users alone covers all of it — Keycloak puts writing groups under it too, and no
# narrower role writes groups (query-groups only reads) — (tests/test_security_realm.py tries each call); it cannot
# read the realm's clients, create roles or clients, change the realm's settings, or hand out any realm-management
# role, to a user or to a group.
SERVICE_ROLES = ("manage-users",)
LEGACY_ADMIN_PASSWORD = "admin"

# The hotline's name as the sign-in pages say it (their title and header), and its login theme, kept beside this
# module: the embedded Keycloak reads the folder THEME_DIR (embedded/keycloak.py), a Keycloak by URL mounts it.
HOTLINE_NAME = "12345政务服务便民热线"
LOGIN_THEME = "hotline"
THEME_DIR = Path(__file__).resolve().parent / "theme"
LOCALE = "zh-CN"

# A disabled person's token is refused within a second (sso/revocations.py); a stolen one lives two minutes.
ACCESS_TOKEN_LIFESPAN_S = 120
PASSWORD_POLICY = "length(10) and notUsername(undefined) and passwordHistory(5)"
REALM_SETTINGS: dict[str, Any] = {
    "accessTokenLifespan": ACCESS_TOKEN_LIFESPAN_S,
    # Five wrong passwords lock the account for a minute, doubling up to 15 minutes; never for good (a
    # lockout an attacker can cause must wear off by itself).
    "bruteForceProtected": True, "permanentLockout": False, "failureFactor": 5, "waitIncrementSeconds": 60,
    "maxFailureWaitSeconds": 900, "maxDeltaTimeSeconds": 43200, "quickLoginCheckMilliSeconds": 1000,
    "minimumQuickLoginWaitSeconds": 60,
    "passwordPolicy": PASSWORD_POLICY,
    # Sign-ins, failures and every admin change kept 90 days; admin events without representations (no
    # personal data copied into the event store).
    "eventsEnabled": True, "eventsExpiration": 90 * 86400, "adminEventsEnabled": True,
    "adminEventsDetailsEnabled": False,
    # The sign-in pages in Chinese whatever the browser asks for (one locale: no English to fall back to), in the
    # platform's own theme, under the hotline's name (the page's title; its header, with the number in red).
    "internationalizationEnabled": True, "supportedLocales": [LOCALE], "defaultLocale": LOCALE,
    "loginTheme": LOGIN_THEME, "displayName": HOTLINE_NAME,
    "displayNameHtml": f'<span class="hotline-number">12345</span>{HOTLINE_NAME.removeprefix("12345")}',
}
# Built-in clients of the realm narrowed: the realm's admin-cli takes no passwords.
BUILT_IN_CLIENTS: dict[str, dict[str, Any]] = {"admin-cli": {"directAccessGrantsEnabled": False}}

ROLE_DESCRIPTIONS = {
    Role.supervisor: "督办员 supervisor: reads and urges down the tree",
    Role.operator: "话务员 centre operator", Role.dispatcher: "派单员 dispatcher", Role.reviewer: "审核员 reviewer",
    Role.caller: "回访员 follow-up caller", Role.handler: "承办人 unit handler",
    Role.department_handler: "部门承办人 department handler", Role.auditor: "审计员 auditor",
    Role.admin: "管理员 tenant admin",
}


class RealmMismatch(RuntimeError):
    """Keycloak does not hold what the sync wrote; the message lists what differs."""


@dataclass
class SyncReport:
    writes: list[str] = field(default_factory=list)

    def wrote(self, what: str) -> None:
        self.writes.append(what)


def _signed_in(settings: Settings, realm: str) -> KeycloakAdmin:
    user, password = admin_credentials(settings)
    kc = KeycloakAdmin(server_url=settings.effective_keycloak_url + "/", username=user, password=password,
                       realm_name=realm, user_realm_name="master", timeout=30)
    try:
        kc.connection.get_token()
    except (KeycloakAuthenticationError, KeycloakPostError) as exc:
        if not _wrong_password(exc) or not _rotate_legacy_admin(settings, user, password):
            raise
        kc.connection.get_token()
    return kc


def _wrong_password(exc: KeycloakAuthenticationError | KeycloakPostError) -> bool:
    return exc.response_code in (400, 401) and b"invalid_grant" in (exc.response_body or b"")


def _rotate_legacy_admin(settings: Settings, user: str, password: str) -> bool:
    """An embedded Keycloak of an older home was bootstrapped with admin/admin, before the home kept a generated
    password: give its admin the generated one, so `hotline up` goes on working and admin/admin stops."""
    if not settings.embedded_keycloak or settings.keycloak_admin_password is not None:
        return False
    try:
        legacy = KeycloakAdmin(server_url=settings.effective_keycloak_url + "/", username=user,
                               password=LEGACY_ADMIN_PASSWORD, realm_name="master", timeout=30)
        legacy.connection.get_token()
    except (KeycloakAuthenticationError, KeycloakPostError) as exc:
        if _wrong_password(exc):
            return False
        raise
    legacy.set_user_password(legacy.get_user_id(user), password, temporary=False)
    return True


def master_admin(settings: Settings) -> KeycloakAdmin:
    """The master realm, signed in as its bootstrap admin (creating the province's realm)."""
    return _signed_in(settings, "master")


def admin_client(settings: Settings) -> KeycloakAdmin:
    """The province's realm, signed in as the master realm's bootstrap admin: `sso sync` and provisioning only."""
    return _signed_in(settings, settings.keycloak_realm)


def users_client(settings: Settings) -> KeycloakAdmin:
    """The province's realm as the API's service account (client credentials): people, and nothing else."""
    return KeycloakAdmin(server_url=settings.effective_keycloak_url + "/", realm_name=settings.keycloak_realm,
                         user_realm_name=settings.keycloak_realm, client_id=USERS_CLIENT,
                         client_secret_key=api_client_secret(settings), timeout=30)


def token_mappers() -> list[dict[str, Any]]:
    audience = {
        "name": "audience-hotline-api", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
        "config": {"included.client.audience": API_CLIENT, "access.token.claim": "true",
                   "id.token.claim": "false"},
    }
    attributes = [{
        "name": f"attribute-{name}", "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-attribute-mapper",
        "config": {"user.attribute": name, "claim.name": name, "jsonType.label": "String",
                   "access.token.claim": "true", "id.token.claim": "true", "userinfo.token.claim": "true"},
    } for name in USER_ATTRIBUTES]
    return [audience, *attributes]


def client_specs(settings: Settings) -> dict[str, dict[str, Any]]:
    console = settings.effective_console_url
    closed = {"standardFlowEnabled": False, "implicitFlowEnabled": False, "directAccessGrantsEnabled": False}
    return {
        API_CLIENT: {"clientId": API_CLIENT, "name": "12345 API", "publicClient": False, **closed,
                     "serviceAccountsEnabled": False, "protocol": "openid-connect"},
        USERS_CLIENT: {"clientId": USERS_CLIENT, "name": "12345 API: people (service account)",
                       "publicClient": False, **closed, "serviceAccountsEnabled": True,
                       "clientAuthenticatorType": "client-secret", "protocol": "openid-connect"},
        CONSOLE_CLIENT: {"clientId": CONSOLE_CLIENT, "name": "12345 console", "publicClient": True,
                         "standardFlowEnabled": True, "implicitFlowEnabled": False, "directAccessGrantsEnabled": False,
                         # Exact URIs: no wildcard for an open redirect to ride on.
                         "redirectUris": [f"{console}/auth/callback"], "webOrigins": [console],
                         "attributes": {"pkce.code.challenge.method": "S256",
                                        "post.logout.redirect.uris": f"{console}/"},
                         "protocol": "openid-connect", "protocolMappers": token_mappers()},
        # The password grant, for scripts and tests (README, "Sign-in and people"): no browser flow, no redirect.
        CLI_CLIENT: {"clientId": CLI_CLIENT, "name": "12345 scripts", "publicClient": True,
                     "standardFlowEnabled": False, "implicitFlowEnabled": False, "directAccessGrantsEnabled": True,
                     "redirectUris": [], "protocol": "openid-connect", "protocolMappers": token_mappers()},
    }


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return sorted(current or []) == sorted(wanted)
    return current == wanted


def client_changes(current: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``current`` to change so that it matches ``spec`` (attributes: only those the spec names)."""
    changes = {key: value for key, value in spec.items()
               if key not in ("protocolMappers", "attributes") and not _same(current.get(key), value)}
    attributes = current.get("attributes") or {}
    wanted = spec.get("attributes") or {}
    if any(attributes.get(k) != v for k, v in wanted.items()):
        changes["attributes"] = {**attributes, **wanted}
    return changes


def realm_changes(current: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in REALM_SETTINGS.items() if current.get(key) != value}


def sync_realm(settings: Settings, say: Callable[[str], None] = lambda _: None) -> SyncReport:
    """Make the realm, its settings, user profile, roles, clients and the API's service account match the
    platform, then read it all back: RealmMismatch if Keycloak holds anything else."""
    report = SyncReport()
    realm = settings.keycloak_realm
    master = master_admin(settings)
    if realm not in {r["realm"] for r in master.get_realms()}:
        master.create_realm({"realm": realm, "enabled": True, "sslRequired": "external", **REALM_SETTINGS})
        report.wrote(f"realm {realm}")
        say(f"realm {realm} created")
    kc = admin_client(settings)

    changes = realm_changes(kc.get_realm(realm))
    if changes:
        kc.update_realm(realm, changes)
        report.wrote(f"realm settings {', '.join(sorted(changes))}")

    profile = kc.get_realm_users_profile()
    # The platform's own attributes are set by admins only (users cannot edit their tenant).
    if profile.get("unmanagedAttributePolicy") != "ADMIN_EDIT":
        kc.update_realm_users_profile({**profile, "unmanagedAttributePolicy": "ADMIN_EDIT"})
        report.wrote("user profile")

    existing_roles = {r["name"] for r in kc.get_realm_roles(brief_representation=True)}
    for role, description in ROLE_DESCRIPTIONS.items():
        if role.value not in existing_roles:
            kc.create_realm_role({"name": role.value, "description": description})
            report.wrote(f"role {role.value}")

    secret = api_client_secret(settings)
    clients = {c["clientId"]: c for c in kc.get_clients()}
    for client_id, spec in client_specs(settings).items():
        current = clients.get(client_id)
        if current is None:
            kc.create_client({**spec, "secret": secret} if client_id == USERS_CLIENT else spec)
            report.wrote(f"client {client_id}")
            continue
        present = {m["name"] for m in current.get("protocolMappers", [])}
        for mapper in spec.get("protocolMappers", []):
            if mapper["name"] not in present:
                kc.add_mapper_to_client(current["id"], mapper)
                report.wrote(f"mapper {mapper['name']} on {client_id}")
        changes = client_changes(current, {k: v for k, v in spec.items() if k != "protocolMappers"})
        if changes:
            kc.update_client(current["id"], {**current, **changes})
            report.wrote(f"{', '.join(sorted(changes))} of {client_id}")
    for client_id, spec in BUILT_IN_CLIENTS.items():
        current = clients.get(client_id)
        if current is not None and (changes := client_changes(current, spec)):
            kc.update_client(current["id"], {**current, **changes})
            report.wrote(f"{', '.join(sorted(changes))} of {client_id}")
    _sync_service_account(kc, secret, report)
    mismatches = verify_realm(settings, kc)
    if mismatches:
        raise RealmMismatch("Keycloak does not hold what `sso sync` wrote: " + "; ".join(mismatches))
    return report


def _service_account(kc: KeycloakAdmin) -> tuple[str, str, str]:
    """(the users client's id, its service account's user id, realm-management's client id)."""
    client = kc.get_client_id(USERS_CLIENT)
    return client, kc.get_client_service_account_user(client)["id"], kc.get_client_id(REALM_MANAGEMENT)


def _sync_service_account(kc: KeycloakAdmin, secret: str, report: SyncReport) -> None:
    client, user, management = _service_account(kc)
    if kc.get_client_secrets(client).get("value") != secret:
        kc.update_client(client, {**kc.get_client(client), "secret": secret})
        report.wrote(f"secret of {USERS_CLIENT}")
    held = {r["name"]: r for r in kc.get_client_roles_of_user(user, management)}
    missing = [name for name in SERVICE_ROLES if name not in held]
    extra = [role for name, role in held.items() if name not in SERVICE_ROLES]
    if missing:
        kc.assign_client_role(user, management, [kc.get_client_role(management, name) for name in missing])
        report.wrote(f"roles {', '.join(missing)} of {USERS_CLIENT}")
    if extra:
        kc.delete_client_roles_of_user(user, management, extra)
        report.wrote(f"roles {', '.join(r['name'] for r in extra)} taken from {USERS_CLIENT}")


def verify_realm(settings: Settings, kc: KeycloakAdmin | None = None) -> list[str]:
    """What Keycloak holds that differs from what the platform wants (empty: all of it is in place)."""
    kc = kc or admin_client(settings)
    realm = settings.keycloak_realm
    found = [f"realm {key}" for key in realm_changes(kc.get_realm(realm))]
    if not theme_installed(kc):
        found.append(f"login theme {LOGIN_THEME} is not installed in Keycloak: it serves {THEME_DIR} when embedded; "
                     "a Keycloak by URL mounts that folder into its themes/ (README, \"Sign-in pages in Chinese\")")
    roles = {r["name"] for r in kc.get_realm_roles(brief_representation=True)}
    found += [f"role {role.value} missing" for role in ROLE_DESCRIPTIONS if role.value not in roles]
    clients = {c["clientId"]: c for c in kc.get_clients()}
    for client_id, spec in {**client_specs(settings), **BUILT_IN_CLIENTS}.items():
        current = clients.get(client_id)
        if current is None:
            found.append(f"client {client_id} missing")
            continue
        found += [f"{key} of {client_id}" for key in client_changes(current, spec)]
        present = {m["name"] for m in current.get("protocolMappers", [])}
        found += [f"mapper {m['name']} of {client_id}" for m in spec.get("protocolMappers", [])
                  if m["name"] not in present]
    if USERS_CLIENT in clients:
        client, user, management = _service_account(kc)
        if kc.get_client_secrets(client).get("value") != api_client_secret(settings):
            found.append(f"secret of {USERS_CLIENT}")
        held = sorted(r["name"] for r in kc.get_client_roles_of_user(user, management))
        if held != sorted(SERVICE_ROLES):
            found.append(f"roles of {USERS_CLIENT}: {', '.join(held)}")
    return found


def theme_installed(kc: KeycloakAdmin) -> bool:
    """Whether Keycloak knows the platform's login theme (a realm naming a theme it lacks falls back to Keycloak's
    own pages, in English: said by ``verify_realm``, not left to be noticed)."""
    themes = kc.get_server_info().get("themes", {}).get("login", [])
    return any(theme.get("name") == LOGIN_THEME for theme in themes)
