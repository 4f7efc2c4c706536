"""Keycloak as a trusted system runs it, and least privilege for people (issue 25, items 1 and 2).

Against the session's real Keycloak: no admin/admin, the API's service account with manage-users only, brute-force
detection, a password policy, events, exact URIs, no password grant on admin-cli; an admin gives the desk's roles
and only the oversight it holds (every cell: tests/test_people.py); a disabled person's sessions end and their
token is refused within the revocation check's interval.
"""

from __future__ import annotations

import stat
import time
import uuid

import httpx
import pytest
from keycloak.exceptions import KeycloakError
from typer.testing import CliRunner

import sso.realm
import sso.revocations
from cli.main import app as cli
from iam.actors import Role
from iam.policies import grantable
from infra.db import sync_engine
from infra.settings import Settings
from sso.credentials import MissingSecret, admin_credentials, api_client_secret, ensure_credentials
from sso.realm import (
    CLI_CLIENT,
    CONSOLE_CLIENT,
    REALM_MANAGEMENT,
    REALM_SETTINGS,
    SERVICE_ROLES,
    USERS_CLIENT,
    admin_client,
    client_specs,
    master_admin,
    sync_realm,
    users_client,
    verify_realm,
)
from sso.revocations import RevocationList, revoke
from sso.users import find_user
from tests.identity import PASSWORD, ensure_user, token

CITY, DISTRICT = "4101", "410102"  # 郑州, 中原区
CITIES = (CITY,)


def _person(roles: tuple[str, ...], tenant: str = CITY) -> tuple[str, dict[str, str]]:
    """A fresh person with these roles, and headers with their token."""
    name = f"{roles[0]}-{uuid.uuid4().hex[:8]}".replace("_", "-")
    ensure_user(name, roles[0], tenant, None, also=roles[1:])
    return name, {"Authorization": f"Bearer {token(name)}"}


def _grant(tree: Settings, client_id: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": client_id, "grant_type": "password", "username": username, "password": password})


# ---- the bootstrap admin ---------------------------------------------------------------------


def test_the_bootstrap_admin_secret_is_generated_once_into_a_file_only_its_owner_reads(tmp_path) -> None:
    path = tmp_path / "keycloak" / "credentials.json"
    ensure_credentials(path)
    first = path.read_text()
    ensure_credentials(path)
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = Settings(home=tmp_path, keycloak_credentials_file=path)
    user, password = admin_credentials(settings)
    assert user == "admin" and password != "admin" and len(password) >= 32


def test_secrets_given_by_settings_win_over_the_homes_file(tmp_path) -> None:
    settings = Settings(home=tmp_path, keycloak_admin="root", keycloak_admin_password="from-the-secret",
                        keycloak_api_client_secret="client-from-the-secret")
    assert admin_credentials(settings) == ("root", "from-the-secret")
    assert api_client_secret(settings) == "client-from-the-secret"
    embedded = Settings(home=tmp_path)
    assert api_client_secret(embedded) != "client-from-the-secret"  # generated into the home on first use


def test_a_keycloak_given_by_url_has_no_default_admin_password(tmp_path) -> None:
    settings = Settings(home=tmp_path, keycloak_url="http://keycloak.example")
    with pytest.raises(MissingSecret, match="HOTLINE_KEYCLOAK_ADMIN_PASSWORD"):
        admin_credentials(settings)


def test_keycloaks_master_realm_refuses_admin_admin(tree: Settings) -> None:
    user, password = admin_credentials(tree)
    master = tree.effective_keycloak_url + "/realms/master"
    assert _grant_at(master, user, "admin").status_code != 200
    assert _grant_at(master, user, password).status_code == 200


def _grant_at(realm_url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{realm_url}/protocol/openid-connect/token", data={
        "client_id": "admin-cli", "grant_type": "password", "username": username, "password": password})


def test_an_older_homes_admin_admin_is_rotated_to_the_generated_password_on_first_use(tree: Settings) -> None:
    if not tree.embedded_keycloak:
        pytest.skip("rotation is for the embedded Keycloak of a home")
    user, password = admin_credentials(tree)
    master = master_admin(tree)
    master.set_user_password(master.get_user_id(user), "admin", temporary=False)  # as an older `up` left it
    assert admin_client(tree).get_realm(tree.keycloak_realm)["realm"] == tree.keycloak_realm
    url = tree.effective_keycloak_url + "/realms/master"
    assert _grant_at(url, user, "admin").status_code != 200
    assert _grant_at(url, user, password).status_code == 200


# ---- the API's service account ---------------------------------------------------------------


def test_the_apis_service_account_holds_manage_users_and_nothing_else_of_the_realm(tree: Settings) -> None:
    kc = admin_client(tree)
    client = kc.get_client_id(USERS_CLIENT)
    account = kc.get_client_service_account_user(client)["id"]
    held = sorted(r["name"] for r in kc.get_client_roles_of_user(account, kc.get_client_id(REALM_MANAGEMENT)))
    assert held == sorted(SERVICE_ROLES) == ["manage-users"]
    assert not {r["name"] for r in kc.get_realm_roles_of_user(account)} & set(Role.__members__)


@pytest.mark.parametrize("attempt", ["list clients", "create a role", "give itself realm-admin",
                                     "give a group realm-admin", "change the realm's settings", "create a client"])
def test_the_service_account_cannot_change_the_realm(tree: Settings, attempt: str) -> None:
    """manage-users lets the API write groups (a unit's, at once: tests/test_people.py), and a group could carry
    roles to its members: but not a realm-management role, which only someone holding it maps."""
    kc = users_client(tree)
    admin = admin_client(tree)
    management = admin.get_client_id(REALM_MANAGEMENT)
    account = admin.get_client_service_account_user(admin.get_client_id(USERS_CLIENT))["id"]
    realm_admin = admin.get_client_role(management, "realm-admin")
    group = admin.create_group({"name": f"sneaky-{uuid.uuid4().hex[:6]}"})
    actions = {
        "list clients": kc.get_clients,
        "create a role": lambda: kc.create_realm_role({"name": f"sneaky-{uuid.uuid4().hex[:6]}"}),
        "give itself realm-admin": lambda: kc.assign_client_role(account, management, [realm_admin]),
        "give a group realm-admin": lambda: kc.assign_group_client_roles(group, management, [realm_admin]),
        "change the realm's settings": lambda: kc.update_realm(tree.keycloak_realm, {"bruteForceProtected": False}),
        "create a client": lambda: kc.create_client({"clientId": f"sneaky-{uuid.uuid4().hex[:6]}"}),
    }
    try:
        with pytest.raises(KeycloakError) as refused:
            actions[attempt]()
        assert refused.value.response_code == 403
    finally:
        admin.delete_group(group)


async def test_the_api_manages_people_without_the_master_admin(client: httpx.AsyncClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = _person(("admin", "operator"))

    def no_master_admin(*_: object) -> None:
        raise AssertionError("the API signed in as the master realm's admin")

    monkeypatch.setattr(sso.realm, "_signed_in", no_master_admin)
    name = f"clerk-{uuid.uuid4().hex[:8]}"
    created = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json={
        "username": name, "password": "Clerk-12345!", "roles": ["operator"]})
    assert created.status_code == 201, created.text
    listed = await client.get(f"/api/v1/tenants/{DISTRICT}/users", headers=admin)
    assert [u["roles"] for u in listed.json() if u["username"] == name] == [["operator"]]
    disabled = await client.post(f"/api/v1/tenants/{DISTRICT}/users/{name}/disable", headers=admin)
    assert disabled.status_code == 204, disabled.text


# ---- the realm's settings --------------------------------------------------------------------


def test_the_realm_detects_brute_force_has_a_password_policy_and_keeps_events(tree: Settings) -> None:
    realm = admin_client(tree).get_realm(tree.keycloak_realm)
    assert realm["bruteForceProtected"] is True and realm["permanentLockout"] is False
    policy = realm["passwordPolicy"]
    assert "length(10)" in policy and "notUsername" in policy and "passwordHistory(5)" in policy
    assert realm["eventsEnabled"] is True and realm["adminEventsEnabled"] is True


def test_a_failed_sign_in_is_kept_as_an_event(tree: Settings) -> None:
    name, _ = _person(("operator",))
    assert _grant(tree, CLI_CLIENT, name, "Wrong-12345!").status_code != 200
    kc = admin_client(tree)
    events = kc.get_events({"type": "LOGIN_ERROR", "user": find_user(kc, name)["id"]})
    assert [e["clientId"] for e in events] == [CLI_CLIENT]


async def test_a_user_made_through_the_api_is_kept_as_an_admin_event_of_the_service_account(
        client: httpx.AsyncClient, tree: Settings) -> None:
    _, admin = _person(("admin", "operator"))
    name = f"clerk-{uuid.uuid4().hex[:8]}"
    created = await client.post(f"/api/v1/tenants/{CITY}/users", headers=admin, json={
        "username": name, "password": "Clerk-12345!", "roles": ["operator"]})
    assert created.status_code == 201, created.text
    kc = admin_client(tree)
    account = kc.get_client_service_account_user(kc.get_client_id(USERS_CLIENT))["id"]
    made = kc.get_admin_events({"operationTypes": "CREATE", "resourceTypes": "USER", "authUser": account})
    assert f"users/{find_user(kc, name)['id']}" in [e["resourcePath"] for e in made]


def test_access_tokens_live_two_minutes(tree: Settings) -> None:
    name, _ = _person(("operator",))
    body = _grant(tree, CLI_CLIENT, name, PASSWORD).json()
    assert body["expires_in"] == 120


def test_wrong_passwords_then_the_right_one_is_refused_for_a_while(tree: Settings) -> None:
    name, _ = _person(("operator",))
    for _ in range(REALM_SETTINGS["failureFactor"]):
        assert _grant(tree, CLI_CLIENT, name, "Wrong-12345!").status_code != 200
    locked = _grant(tree, CLI_CLIENT, name, PASSWORD)
    assert locked.status_code != 200 and "access_token" not in locked.text
    kc = admin_client(tree)
    user = find_user(kc, name)
    assert kc.get_bruteforce_detection_status(user["id"])["disabled"] is True
    assert user["enabled"] is True  # locked for a while (permanentLockout is off), not disabled


@pytest.mark.parametrize(("password", "why"), [("Short-123", "too short"), (None, "the username")])
async def test_a_password_against_the_policy_is_refused_and_no_user_is_made(client: httpx.AsyncClient,
                                                                            tree: Settings, password: str | None,
                                                                            why: str) -> None:
    _, admin = _person(("admin", "operator"))
    name = f"clerk-{uuid.uuid4().hex[:8]}"
    response = await client.post(f"/api/v1/tenants/{CITY}/users", headers=admin, json={
        "username": name, "password": password or name, "roles": ["operator"]})
    assert response.status_code == 422, (why, response.text)
    assert not admin_client(tree).get_users({"username": name, "exact": "true"})


def test_admin_cli_takes_no_password_in_the_province_realm(tree: Settings) -> None:
    name, _ = _person(("operator",))
    refused = _grant(tree, "admin-cli", name, PASSWORD)
    assert refused.status_code in (400, 401) and "access_token" not in refused.text


def test_only_the_scripts_client_takes_passwords(tree: Settings) -> None:
    # The platform's clients and Keycloak's own (other tests add clients of their own to the session's realm).
    known = {*client_specs(tree), "account", "account-console", "admin-cli", "broker", "realm-management",
             "security-admin-console"}
    clients = [c for c in admin_client(tree).get_clients() if c["clientId"] in known]
    assert len(clients) == len(known)
    assert [c["clientId"] for c in clients if c.get("directAccessGrantsEnabled")] == [CLI_CLIENT]


def test_the_consoles_redirect_and_post_logout_uris_are_exact(tree: Settings) -> None:
    kc = admin_client(tree)
    console = kc.get_client(kc.get_client_id(CONSOLE_CLIENT))
    base = tree.effective_console_url
    assert console["redirectUris"] == [f"{base}/auth/callback"]
    assert console["attributes"]["post.logout.redirect.uris"] == f"{base}/"
    logout = f"{tree.issuer}/protocol/openid-connect/logout"
    for elsewhere in (f"{base}/anything", "https://evil.example/"):
        response = httpx.get(logout, params={"client_id": CONSOLE_CLIENT, "post_logout_redirect_uri": elsewhere})
        assert response.status_code == 400, elsewhere


def test_sync_puts_back_what_was_changed_by_hand_verifies_it_and_then_writes_nothing(tree: Settings) -> None:
    kc = admin_client(tree)
    kc.update_realm(tree.keycloak_realm, {"bruteForceProtected": False, "passwordPolicy": "length(4)"})
    cli_client = kc.get_client_id("admin-cli")
    kc.update_client(cli_client, {**kc.get_client(cli_client), "directAccessGrantsEnabled": True})
    console = kc.get_client(kc.get_client_id(CONSOLE_CLIENT))
    kc.update_client(console["id"], {**console, "attributes": {**console["attributes"],
                                                               "post.logout.redirect.uris": "+"}})
    management = kc.get_client_id(REALM_MANAGEMENT)
    account = kc.get_client_service_account_user(kc.get_client_id(USERS_CLIENT))["id"]
    kc.assign_client_role(account, management, [kc.get_client_role(management, "view-realm")])
    drift = verify_realm(tree)
    assert {"realm bruteForceProtected", "realm passwordPolicy", "directAccessGrantsEnabled of admin-cli",
            f"attributes of {CONSOLE_CLIENT}"} <= set(drift)
    assert any(d.startswith(f"roles of {USERS_CLIENT}") for d in drift)
    repaired = sync_realm(tree).writes
    assert len(repaired) >= 4 and verify_realm(tree) == []
    assert sync_realm(tree).writes == []


# ---- who may grant what ----------------------------------------------------------------------


def test_an_admin_gives_the_desk_roles_and_only_the_oversight_it_holds() -> None:
    desk = {Role.operator, Role.dispatcher, Role.reviewer, Role.caller, Role.handler, Role.department_handler}
    assert grantable(frozenset({Role.admin})) == desk | {Role.admin}
    assert grantable(frozenset({Role.admin, Role.supervisor})) == desk | {Role.admin, Role.supervisor}
    assert grantable(frozenset({Role.supervisor, Role.auditor})) == frozenset()


async def test_a_zhengzhou_admin_cannot_make_someone_with_roles_it_does_not_hold(client: httpx.AsyncClient,
                                                                                 tree: Settings) -> None:
    _, admin = _person(("admin",))
    name = f"mole-{uuid.uuid4().hex[:8]}"
    response = await client.post(f"/api/v1/tenants/{CITY}/users", headers=admin, json={
        "username": name, "password": "Mole-123456!", "roles": ["admin", "supervisor", "auditor"]})
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "role_not_grantable" and "auditor, supervisor" in response.json()["detail"]
    assert not admin_client(tree).get_users({"username": name, "exact": "true"})


async def test_an_admin_staffs_a_desk_of_its_subtree_without_holding_the_desks_roles(
        client: httpx.AsyncClient) -> None:
    _, admin = _person(("admin",))
    name = f"desk-{uuid.uuid4().hex[:8]}"
    created = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json={
        "username": name, "password": "Desk-123456!", "roles": ["dispatcher", "operator"]})
    assert created.status_code == 201, created.text
    oversight = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json={
        "username": f"{name}-2", "password": "Desk-123456!", "roles": ["dispatcher", "supervisor"]})
    assert oversight.status_code == 403 and "supervisor" in oversight.json()["detail"]


# ---- disabling ends what a person holds ------------------------------------------------------


async def test_a_disabled_persons_token_is_refused_from_the_next_request(client: httpx.AsyncClient,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sso.revocations, "CHECK_EVERY_S", 0.0)
    _, admin = _person(("admin",))
    name, person = _person(("operator",))
    assert (await client.get("/auth/me", headers=person)).status_code == 200
    disabled = await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)
    assert disabled.status_code == 204, disabled.text
    refused = await client.get("/auth/me", headers=person)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


async def test_a_disabled_persons_token_stops_working_within_the_check_interval(client: httpx.AsyncClient) -> None:
    _, admin = _person(("admin",))
    name, person = _person(("operator",))
    assert (await client.get(f"/api/v1/tenants/{CITY}", headers=person)).status_code == 200
    started = time.perf_counter()
    assert (await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)).status_code == 204
    answered = time.perf_counter()
    statuses = []
    for _ in range(2000):  # a guard against hanging, far beyond the interval: not a timed assertion
        statuses.append((await client.get(f"/api/v1/tenants/{CITY}", headers=person)).status_code)
        if statuses[-1] == 401:
            break
        time.sleep(0.01)
    refused = time.perf_counter()
    assert statuses[-1] == 401 and set(statuses[:-1]) <= {200}
    print(f"\ndisable call {answered - started:.3f} s; first 401 {refused - started:.3f} s after the call began")


async def test_disabling_ends_the_persons_keycloak_sessions(client: httpx.AsyncClient, tree: Settings) -> None:
    _, admin = _person(("admin",))
    name, _ = _person(("operator",))
    tokens = _grant(tree, CLI_CLIENT, name, PASSWORD).json()
    kc = admin_client(tree)
    subject = find_user(kc, name)["id"]
    assert kc.get_sessions(subject)
    assert (await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)).status_code == 204
    assert kc.get_sessions(subject) == []
    refreshed = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": CLI_CLIENT, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400


async def test_disabling_ends_the_persons_console_sessions(client: httpx.AsyncClient, app, tree: Settings) -> None:
    _, admin = _person(("admin",))
    name, _ = _person(("operator",))
    tokens = _grant(tree, CLI_CLIENT, name, PASSWORD).json()
    subject = find_user(admin_client(tree), name)["id"]
    secret = await app.state.sessions.create(tokens, subject, name)
    cookie = {"Cookie": f"hotline_session={secret}"}
    assert (await client.get("/auth/me", headers=cookie)).status_code == 200
    assert (await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)).status_code == 204
    assert (await client.get("/auth/me", headers=cookie)).status_code == 401
    engine = sync_engine(tree)
    with engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM public.web_sessions WHERE subject = %s", (subject,))
        assert left.scalar() == 0
    engine.dispose()


async def test_a_token_issued_after_a_revocation_is_accepted(app, tree: Settings) -> None:
    engine = sync_engine(tree)
    with engine.begin() as conn:
        revoke(conn, "subject-of-a-test", "test")
    engine.dispose()
    revocations = RevocationList(app.state.db.engine)
    now = time.time()
    assert await revocations.revoked("subject-of-a-test", now - 5)
    assert not await revocations.revoked("subject-of-a-test", now + 5)
    assert not await revocations.revoked("someone-else", now - 5)


def test_disabling_from_the_cli_revokes_the_tokens_too(tree: Settings) -> None:
    name, _ = _person(("operator",))
    result = CliRunner().invoke(cli, ["users", "disable", name])
    assert result.exit_code == 0, result.output
    subject = find_user(admin_client(tree), name)["id"]
    engine = sync_engine(tree)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT revoked_by FROM public.token_revocations WHERE subject = %s",
                                   (subject,)).scalar()
    engine.dispose()
    assert row == "cli"
