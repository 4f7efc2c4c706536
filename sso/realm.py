"""The province's Keycloak realm: roles, clients, token mappers — made to match, idempotently.

Every step reads first and writes only what differs, so a run with nothing to change makes no
writes. Clients:
- ``hotline-api``: the API's own (confidential) client; the audience every token must carry;
- ``hotline-console``: the web console, public, authorization code with PKCE (S256);
- ``hotline-cli``: public with direct grants, for scripts and integration tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keycloak import KeycloakAdmin

from core.actors import Role
from core.config import Settings

API_CLIENT = "hotline-api"
CONSOLE_CLIENT = "hotline-console"
CLI_CLIENT = "hotline-cli"
USER_ATTRIBUTES = ("tenant_path", "unit")

ROLE_DESCRIPTIONS = {
    Role.supervisor: "督办员 supervisor: reads and urges down the tree",
    Role.operator: "话务员 centre operator", Role.dispatcher: "派单员 dispatcher", Role.reviewer: "审核员 reviewer",
    Role.caller: "回访员 follow-up caller", Role.handler: "承办人 unit handler",
    Role.department_handler: "部门承办人 department handler", Role.auditor: "审计员 auditor",
    Role.admin: "管理员 tenant admin",
}


@dataclass
class SyncReport:
    writes: list[str] = field(default_factory=list)

    def wrote(self, what: str) -> None:
        self.writes.append(what)


def admin_client(settings: Settings) -> KeycloakAdmin:
    """An admin API client for the province's realm, signed in as the master realm's admin."""
    return KeycloakAdmin(
        server_url=settings.effective_keycloak_url + "/", username=settings.keycloak_admin,
        password=settings.keycloak_admin_password, realm_name=settings.keycloak_realm, user_realm_name="master",
        timeout=30,
    )


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
    return {
        API_CLIENT: {"clientId": API_CLIENT, "name": "12345 API", "publicClient": False,
                     "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
                     "serviceAccountsEnabled": False, "protocol": "openid-connect"},
        CONSOLE_CLIENT: {"clientId": CONSOLE_CLIENT, "name": "12345 console", "publicClient": True,
                         "standardFlowEnabled": True, "directAccessGrantsEnabled": False,
                         "redirectUris": [f"{console}/auth/callback"], "webOrigins": [console],
                         "attributes": {"pkce.code.challenge.method": "S256",
                                        "post.logout.redirect.uris": f"{console}/*"},
                         "protocol": "openid-connect", "protocolMappers": token_mappers()},
        CLI_CLIENT: {"clientId": CLI_CLIENT, "name": "12345 scripts", "publicClient": True,
                     "standardFlowEnabled": False, "directAccessGrantsEnabled": True,
                     "protocol": "openid-connect", "protocolMappers": token_mappers()},
    }


def sync_realm(settings: Settings, say: Callable[[str], None] = lambda _: None) -> SyncReport:
    """Make the realm, its user profile, roles and clients match the platform."""
    report = SyncReport()
    master = KeycloakAdmin(server_url=settings.effective_keycloak_url + "/", username=settings.keycloak_admin,
                           password=settings.keycloak_admin_password, realm_name="master", timeout=30)
    realms = {r["realm"] for r in master.get_realms()}
    if settings.keycloak_realm not in realms:
        master.create_realm({"realm": settings.keycloak_realm, "enabled": True, "displayName": "12345",
                             "accessTokenLifespan": 300, "sslRequired": "external"})
        report.wrote(f"realm {settings.keycloak_realm}")
        say(f"realm {settings.keycloak_realm} created")
    kc = admin_client(settings)

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

    clients = {c["clientId"]: c for c in kc.get_clients()}
    for client_id, spec in client_specs(settings).items():
        current = clients.get(client_id)
        if current is None:
            kc.create_client(spec)
            report.wrote(f"client {client_id}")
            continue
        present = {m["name"] for m in current.get("protocolMappers", [])}
        for mapper in spec.get("protocolMappers", []):
            if mapper["name"] not in present:
                kc.add_mapper_to_client(current["id"], mapper)
                report.wrote(f"mapper {mapper['name']} on {client_id}")
        wanted_redirects = spec.get("redirectUris")
        if wanted_redirects is not None and sorted(current.get("redirectUris", [])) != sorted(wanted_redirects):
            kc.update_client(current["id"], {**current, "redirectUris": wanted_redirects,
                                             "webOrigins": spec["webOrigins"]})
            report.wrote(f"redirect URIs of {client_id}")
    return report
