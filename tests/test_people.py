"""Administration of people and units through the API, with real Keycloak tokens (issue 33, item 7).

- The grant rule (授权矩阵, README "Who may grant what"): every cell of the table — who asks × the role given ×
  the tenant (own, below, sibling, above) — is tried by creating a person, and nobody changes their own roles.
- People: created, changed (name, unit, roles given and taken), disabled, enabled, given a temporary password,
  each change in the history (``GET /tenants/{code}/changes``) with who, old and new, never a password.
- Units: a unit made, renamed, deactivated or made active again through the API has its Keycloak group at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import httpx
import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakGetError
from typer.testing import CliRunner

import core.units.api
import sso.revocations
from cli.main import app as cli
from infra.db import sync_engine
from infra.settings import Settings
from sso.credentials import api_client_secret
from sso.realm import USERS_CLIENT, admin_client
from sso.users import find_user
from tests.identity import ensure_user, token

CITY, DISTRICT, TOWN, SIBLING, PROVINCE = "4106", "410611", "410611001", "4105", "41"  # 鹤壁 → 淇滨区 → a town
CITIES = (CITY, SIBLING)
RUN = uuid.uuid4().hex[:6]  # the session's Keycloak is shared by every module: names of this run's own
PASSWORD = "Person-12345!"

DESK = {"operator", "dispatcher", "reviewer", "caller", "handler", "department_handler"}
ROLES = sorted(DESK | {"supervisor", "auditor", "admin"})
UNIT_STAFF = {"handler", "department_handler"}

# The grant table as the README states it: what each person asking may give to people of its own tenant and below.
# Whoever is not an admin gives nothing; a sibling or a tenant above is never reached (403 from the guard).
GIVES: dict[tuple[str, ...], set[str]] = {
    ("admin",): DESK | {"admin"},
    ("admin", "supervisor"): DESK | {"admin", "supervisor"},
    ("admin", "auditor"): DESK | {"admin", "auditor"},
    ("admin", "operator"): DESK | {"admin"},
    ("supervisor",): set(),
    ("dispatcher",): set(),
}
WHERE = {"own": CITY, "below": DISTRICT, "sibling": SIBLING, "above": PROVINCE}


def _someone(roles: tuple[str, ...], tenant: str = CITY, unit: int | None = None) -> tuple[str, dict[str, str]]:
    """A person of this run with these roles (made once), and headers with their token."""
    name = f"{'-'.join(roles)}-{tenant}-{unit or 'x'}-{RUN}".replace("_", "-")
    ensure_user(name, roles[0], tenant, unit, also=roles[1:])
    return name, {"Authorization": f"Bearer {token(name)}"}


def _fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _create(client: httpx.AsyncClient, headers: dict[str, str], tenant: str, roles: list[str],
                  **fields: Any) -> httpx.Response:
    body = {"username": fields.pop("username", _fresh("p")), "password": PASSWORD, "roles": roles,
            "must_change_password": False, **fields}
    return await client.post(f"/api/v1/tenants/{tenant}/users", headers=headers, json=body)


async def _history(client: httpx.AsyncClient, tenant: str, subject: str, key: str) -> list[dict]:
    _, admin = _someone(("admin",))
    response = await client.get(f"/api/v1/tenants/{tenant}/changes", headers=admin,
                                params={"subject": subject, "key": key})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture(scope="module")
async def units(client: httpx.AsyncClient) -> dict[str, int]:
    """A unit of the city, the district and the town, made through the API by the city's admin, and a second of the
    city's ("elsewhere": an id no unit of the district or the town has, as each tenant numbers its own)."""
    _, admin = _someone(("admin",))
    made = {}
    for key, code in ((CITY, CITY), (DISTRICT, DISTRICT), (TOWN, TOWN), ("elsewhere", CITY)):
        response = await client.post(f"/api/v1/tenants/{code}/units", headers=admin, json={
            "code": f"{key}-{RUN}", "name": f"{code}综合办公室" if key == code else "鹤壁市档案室",
            "kind": "department"})
        assert response.status_code == 201, response.text
        made[key] = response.json()["id"]
    return made


def _no_user(tree: Settings, username: str) -> bool:
    return not admin_client(tree).get_users({"username": username, "exact": "true"})


# ---- the grant table, cell by cell --------------------------------------------------------------


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("granter", list(GIVES), ids=["+".join(g) for g in GIVES])
async def test_every_cell_of_the_grant_table(client: httpx.AsyncClient, tree: Settings, units: dict[str, int],
                                             granter: tuple[str, ...], where: str) -> None:
    _, headers = _someone(granter)
    tenant = WHERE[where]
    reached = where in ("own", "below")
    got, wanted = {}, {}
    for role in ROLES:
        name = _fresh(f"g-{role}".replace("_", "-"))
        unit = units.get(tenant, 1) if role in UNIT_STAFF else None
        response = await _create(client, headers, tenant, [role], username=name, unit_id=unit)
        got[role] = (response.status_code, response.json().get("error"))
        if not reached or "admin" not in granter:
            wanted[role] = (403, "forbidden")  # the guard: no user write here
        elif role in GIVES[granter]:
            wanted[role] = (201, None)
        else:
            wanted[role] = (403, "role_not_grantable")
        if response.status_code == 201:
            assert response.json()["roles"] == [role] and response.json()["tenant"] == tenant
        else:
            assert _no_user(tree, name), f"{role}: refused, yet made"
    assert got == wanted


async def test_nobody_changes_their_own_roles_or_unit_or_disables_themselves(client: httpx.AsyncClient,
                                                                            units: dict[str, int]) -> None:
    name, headers = _someone(("admin", "supervisor"))
    me = f"/api/v1/tenants/{CITY}/users/{name}"
    for body in ({"roles": ["admin", "supervisor", "operator"]}, {"roles": ["admin"]},
                 {"roles": ["admin", "supervisor", "auditor"]}, {"unit_id": units[CITY]}):
        refused = await client.patch(me, headers=headers, json=body)
        assert (refused.status_code, refused.json()["error"]) == (403, "own_account"), body
    refused = await client.post(f"{me}/disable", headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "own_account")
    renamed = await client.patch(me, headers=headers, json={"name": "自己改名"})
    assert renamed.status_code == 200 and renamed.json()["roles"] == ["admin", "supervisor"]


async def test_an_admin_may_not_give_through_a_change_what_it_may_not_give_at_creation(
        client: httpx.AsyncClient) -> None:
    _, admin = _someone(("admin",))
    made = await _create(client, admin, DISTRICT, ["operator"])
    url = f"/api/v1/tenants/{DISTRICT}/users/{made.json()['username']}"
    refused = await client.patch(url, headers=admin, json={"roles": ["operator", "supervisor"]})
    assert refused.status_code == 403 and refused.json()["error"] == "role_not_grantable"
    assert refused.json()["refused"] == [{"role": "supervisor", "why": "not_held"}]
    given = await client.patch(url, headers=admin, json={"roles": ["operator", "dispatcher"]})
    assert given.status_code == 200 and given.json()["roles"] == ["dispatcher", "operator"]


async def test_an_admin_takes_away_a_role_it_could_not_give(client: httpx.AsyncClient) -> None:
    """Taking power away needs no more than disabling does: the admin's reach."""
    _, admin = _someone(("admin",))
    supervisor, _ = _someone(("supervisor", "operator"), DISTRICT)
    taken = await client.patch(f"/api/v1/tenants/{DISTRICT}/users/{supervisor}", headers=admin,
                               json={"roles": ["operator"]})
    assert taken.status_code == 200 and taken.json()["roles"] == ["operator"]


async def test_the_console_is_told_which_roles_this_admin_may_give(client: httpx.AsyncClient) -> None:
    _, admin = _someone(("admin", "auditor"))
    answer = await client.get(f"/api/v1/tenants/{DISTRICT}/users/grantable-roles", headers=admin)
    assert answer.status_code == 200
    table = {r["role"]: (r["grantable"], r["refusal"]) for r in answer.json()}
    assert {role for role, (may, _) in table.items() if may} == GIVES[("admin", "auditor")]
    assert table["supervisor"] == (False, "not_held")
    _, dispatcher = _someone(("dispatcher",))
    assert (await client.get(f"/api/v1/tenants/{CITY}/users/grantable-roles", headers=dispatcher)).status_code == 403


# ---- bad values, each with its code --------------------------------------------------------------


async def test_nonsense_is_refused_with_a_code_beside_its_field(client: httpx.AsyncClient,
                                                                units: dict[str, int]) -> None:
    _, admin = _someone(("admin",))
    cases = [
        (["handler"], {}, "unit_required", "unit_id"),
        (["handler"], {"unit_id": units["elsewhere"]}, "unknown_unit", "unit_id"),  # the city's, for the district
        (["operator"], {"unit_id": 9_000_000}, "unknown_unit", "unit_id"),
        ([], {}, "validation_error", "roles"),
        (["operator"], {"password": "Short-1"}, "validation_error", "password"),
        (["operator"], {"password": "the username"}, "weak_password", "password"),  # the realm's policy
    ]
    for roles, fields, code, field in cases:
        name = _fresh("bad")
        if fields.get("password") == "the username":
            fields = {"password": name}
        response = await _create(client, admin, DISTRICT, roles, username=name, **fields)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["error"] == code and response.json()["fields"][0]["field"] == field, response.text
    unknown = await _create(client, admin, DISTRICT, ["janitor"])
    assert unknown.status_code == 422 and unknown.json()["error"] == "validation_error"


async def test_a_change_that_leaves_nonsense_is_refused(client: httpx.AsyncClient, units: dict[str, int]) -> None:
    _, admin = _someone(("admin",))
    made = await _create(client, admin, DISTRICT, ["handler"], unit_id=units[DISTRICT])
    url = f"/api/v1/tenants/{DISTRICT}/users/{made.json()['username']}"
    for body, code in (({"roles": []}, "validation_error"), ({"unit_id": None}, "unit_required"),
                       ({"unit_id": units["elsewhere"]}, "unknown_unit"), ({"name": None}, "validation_error")):
        response = await client.patch(url, headers=admin, json=body)
        assert (response.status_code, response.json()["error"]) == (422, code), body


async def test_a_person_outside_the_subtree_is_not_found_and_a_sibling_is_forbidden(
        client: httpx.AsyncClient) -> None:
    city_person, _ = _someone(("operator",))
    _, district_admin = _someone(("admin",), DISTRICT)
    for method, path, body in (("PATCH", "", {"name": "改"}), ("POST", "/disable", None),
                               ("POST", "/enable", None), ("POST", "/reset-password", None)):
        response = await client.request(method, f"/api/v1/tenants/{DISTRICT}/users/{city_person}{path}",
                                        headers=district_admin, json=body)
        assert (response.status_code, response.json()["error"]) == (404, "user_not_found"), path
        sibling = await client.request(method, f"/api/v1/tenants/{SIBLING}/users/{city_person}{path}",
                                       headers=district_admin, json=body)
        assert (sibling.status_code, sibling.json()["error"]) == (403, "forbidden"), path


# ---- a person's life, recorded -----------------------------------------------------------------


async def test_a_new_person_must_set_their_own_password_and_the_creation_is_recorded(
        client: httpx.AsyncClient, tree: Settings) -> None:
    admin_name, admin = _someone(("admin",))
    name = _fresh("desk")
    made = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json={
        "username": name, "password": PASSWORD, "roles": ["dispatcher"], "name": "李派单"})
    assert made.status_code == 201, made.text
    person = made.json()
    assert (person["name"], person["tenant_name"], person["roles"]) == ("李派单", "淇滨区", ["dispatcher"])
    assert person["must_change_password"] is True and person["enabled"] is True
    refused = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": "hotline-cli", "grant_type": "password", "username": name, "password": PASSWORD})
    assert refused.status_code == 400 and "not fully set up" in refused.json()["error_description"]
    [created] = await _history(client, DISTRICT, "user", name)
    assert (created["action"], created["actor"], created["old"]) == ("create", admin_name, None)
    assert created["new"]["roles"] == ["dispatcher"] and created["new"]["name"] == "李派单"
    assert PASSWORD not in str(created)


async def test_a_change_gives_and_takes_roles_moves_the_unit_and_is_recorded_old_to_new(
        client: httpx.AsyncClient, tree: Settings, units: dict[str, int]) -> None:
    _, admin = _someone(("admin",))
    made = await _create(client, admin, CITY, ["operator", "reviewer"], name="王审核")
    name = made.json()["username"]
    changed = await client.patch(f"/api/v1/tenants/{CITY}/users/{name}", headers=admin, json={
        "name": "王承办", "roles": ["handler", "reviewer"], "unit_id": units[CITY]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["roles"], body["unit_id"], body["unit_name"]) == (
        "王承办", ["handler", "reviewer"], units[CITY], f"{CITY}综合办公室")
    kc = admin_client(tree)
    user = find_user(kc, name)
    assert user["attributes"]["unit"] == [str(units[CITY])] and user["firstName"] == "王承办"
    assert {r["name"] for r in kc.get_realm_roles_of_user(user["id"])} & set(ROLES) == {"handler", "reviewer"}
    group = kc.get_group_by_path(f"/41/{CITY}/unit-{units[CITY]}")
    assert name in [m["username"] for m in kc.get_group_members(group["id"])]
    update, _ = await _history(client, CITY, "user", name)
    assert update["action"] == "update"
    assert update["old"] == {"name": "王审核", "unit_id": None, "unit_name": None, "roles": ["operator", "reviewer"]}
    assert update["new"] == {"name": "王承办", "unit_id": units[CITY], "unit_name": f"{CITY}综合办公室",
                             "roles": ["handler", "reviewer"]}


async def test_a_change_to_nothing_records_nothing(client: httpx.AsyncClient) -> None:
    _, admin = _someone(("admin",))
    made = await _create(client, admin, CITY, ["caller"], name="赵回访")
    name = made.json()["username"]
    same = await client.patch(f"/api/v1/tenants/{CITY}/users/{name}", headers=admin,
                              json={"name": "赵回访", "roles": ["caller"]})
    assert same.status_code == 200
    assert [c["action"] for c in await _history(client, CITY, "user", name)] == ["create"]


async def test_taking_a_role_ends_the_persons_sessions_at_once(client: httpx.AsyncClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sso.revocations, "CHECK_EVERY_S", 0.0)
    _, admin = _someone(("admin",))
    name = _fresh("two-hats")
    await _create(client, admin, CITY, ["operator", "caller"], username=name)
    old = {"Authorization": f"Bearer {token(name, PASSWORD)}"}
    assert (await client.get("/auth/me", headers=old)).status_code == 200
    taken = await client.patch(f"/api/v1/tenants/{CITY}/users/{name}", headers=admin, json={"roles": ["operator"]})
    assert taken.status_code == 200
    assert (await client.get("/auth/me", headers=old)).status_code == 401
    import tests.identity

    tests.identity._tokens.pop(name, None)
    # A token's iat counts whole seconds: one issued within the second of the change counts as issued before it
    # (sso/revocations.py refuses iat <= not_before), so the person signs in again the second after.
    await asyncio.sleep(1.1)
    fresh = await client.get("/auth/me", headers={"Authorization": f"Bearer {token(name, PASSWORD)}"})
    assert fresh.status_code == 200 and fresh.json()["roles"] == ["operator"]


async def test_disabled_and_enabled_again_both_recorded(client: httpx.AsyncClient, tree: Settings) -> None:
    _, admin = _someone(("admin",))
    name = _fresh("leaver")
    await _create(client, admin, DISTRICT, ["reviewer"], username=name)
    assert (await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)).status_code == 204
    assert find_user(admin_client(tree), name)["enabled"] is False
    again = await client.post(f"/api/v1/tenants/{CITY}/users/{name}/disable", headers=admin)
    assert again.status_code == 204  # already disabled: nothing changes, nothing recorded
    assert (await client.post(f"/api/v1/tenants/{DISTRICT}/users/{name}/enable", headers=admin)).status_code == 204
    assert find_user(admin_client(tree), name)["enabled"] is True
    import tests.identity

    tests.identity._tokens.pop(name, None)
    # A token's iat counts whole seconds: one issued within the second of the change counts as issued before it
    # (sso/revocations.py refuses iat <= not_before), so the person signs in again the second after.
    await asyncio.sleep(1.1)
    assert token(name, PASSWORD)  # signs in again
    rows = await _history(client, DISTRICT, "user", name)
    assert [(c["action"], c["old"], c["new"]) for c in rows[:2]] == [
        ("enable", {"enabled": False}, {"enabled": True}), ("disable", {"enabled": True}, {"enabled": False})]
    listed = (await client.get(f"/api/v1/tenants/{DISTRICT}/users", headers=admin)).json()
    assert [p["enabled"] for p in listed if p["username"] == name] == [True]


async def test_a_reset_password_is_temporary_shown_once_and_never_recorded_or_logged(
        client: httpx.AsyncClient, tree: Settings, caplog: pytest.LogCaptureFixture) -> None:
    _, admin = _someone(("admin",))
    name = _fresh("forgetful")
    await _create(client, admin, DISTRICT, ["operator"], username=name)
    caplog.set_level(logging.DEBUG)
    reset = await client.post(f"/api/v1/tenants/{DISTRICT}/users/{name}/reset-password", headers=admin)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= 10 and reset.headers["cache-control"] == "no-store"
    assert temporary not in caplog.text
    user = find_user(admin_client(tree), name)
    assert user["requiredActions"] == ["UPDATE_PASSWORD"]
    grant = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": "hotline-cli", "grant_type": "password", "username": name, "password": temporary})
    assert grant.status_code == 400 and "not fully set up" in grant.json()["error_description"]
    old = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": "hotline-cli", "grant_type": "password", "username": name, "password": PASSWORD})
    assert old.status_code == 400 and old.json()["error_description"] == "Invalid user credentials"  # gone
    rows = await _history(client, DISTRICT, "user", name)
    assert (rows[0]["action"], rows[0]["new"]) == ("reset_password", {"must_change_password": True})
    engine = sync_engine(tree)
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM public.config_changes WHERE old::text LIKE %s "
                                      "OR new::text LIKE %s", (f"%{temporary}%", f"%{temporary}%")).scalar()
    engine.dispose()
    assert stored == 0


async def _pages(client: httpx.AsyncClient, headers: dict[str, str], url: str, params: dict[str, Any]) -> list[dict]:
    """Every page of a listing (the session's Keycloak holds every module's people of these tenants)."""
    found: list[dict] = []
    while True:
        page = (await client.get(url, headers=headers, params={**params, "first": len(found), "max": 500})).json()
        if not page:
            return found
        found += page


async def test_people_are_listed_with_names_and_the_subtree_on_request(client: httpx.AsyncClient,
                                                                       units: dict[str, int]) -> None:
    _, admin = _someone(("admin",))
    here = (await _create(client, admin, CITY, ["dispatcher"], name="城派单")).json()["username"]
    below = (await _create(client, admin, TOWN, ["handler"], name="镇承办", unit_id=units[TOWN])).json()["username"]
    own = (await client.get(f"/api/v1/tenants/{CITY}/users", headers=admin)).json()
    assert here in [p["username"] for p in own] and below not in [p["username"] for p in own]
    everyone = await _pages(client, admin, f"/api/v1/tenants/{CITY}/users", {"subtree": True})
    found = {p["username"]: p for p in everyone}
    assert (found[here]["name"], found[here]["tenant_name"], found[here]["roles"]) == ("城派单", "鹤壁市",
                                                                                      ["dispatcher"])
    town = found[below]
    assert (town["name"], town["tenant"], town["unit_name"], town["roles"]) == (
        "镇承办", TOWN, f"{TOWN}综合办公室", ["handler"])
    assert all(p["tenant_path"].startswith(f"41/{CITY}") for p in everyone)


def test_the_cli_refuses_a_handler_without_a_unit(tree: Settings) -> None:
    result = CliRunner().invoke(cli, ["users", "add", _fresh("cli"), "--tenant", CITY, "--role", "handler"],
                                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1 and "unit" in result.output


# ---- units and their Keycloak groups, at once --------------------------------------------------------


def _group(kc: KeycloakAdmin, path: str) -> dict | None:
    try:
        return kc.get_group_by_path(path)
    except KeycloakGetError as exc:
        assert exc.response_code == 404
        return None


async def test_a_units_keycloak_group_is_made_renamed_removed_and_made_again_at_once(
        client: httpx.AsyncClient, tree: Settings) -> None:
    _, admin = _someone(("admin",))
    made = await client.post(f"/api/v1/tenants/{TOWN}/units", headers=admin, json={
        "code": f"safety-{RUN}", "name": "平安建设办公室", "kind": "department"})
    assert made.status_code == 201, made.text
    unit = made.json()["id"]
    path = f"/41/{CITY}/{DISTRICT}/{TOWN}/unit-{unit}"
    kc = admin_client(tree)
    assert _group(kc, path)["attributes"]["name"] == ["平安建设办公室"]
    url = f"/api/v1/tenants/{TOWN}/units/{unit}"
    assert (await client.patch(url, headers=admin, json={"name": "平安建设和综治办公室"})).status_code == 200
    assert _group(kc, path)["attributes"]["name"] == ["平安建设和综治办公室"]
    assert (await client.patch(url, headers=admin, json={"active": False})).status_code == 200
    assert _group(kc, path) is None
    assert (await client.patch(url, headers=admin, json={"active": True})).status_code == 200
    assert _group(kc, path)["attributes"]["name"] == ["平安建设和综治办公室"]
    engine = sync_engine(tree)
    with engine.connect() as conn:
        recorded = conn.exec_driver_sql("SELECT group_id, name FROM public.sso_groups WHERE key = %s",
                                        (f"41/{CITY}/{DISTRICT}/{TOWN}#unit-{unit}",)).one()
    engine.dispose()
    assert tuple(recorded) == (_group(kc, path)["id"], "平安建设和综治办公室")
    history = await _history(client, TOWN, "unit", str(unit))
    assert [(c["action"], c["old"], c["new"]) for c in history] == [
        ("enable", {"active": False}, {"active": True}),
        ("disable", {"active": True}, {"active": False}),
        ("update", {"name": "平安建设办公室"}, {"name": "平安建设和综治办公室"}),
        ("create", None, {"code": f"safety-{RUN}", "name": "平安建设办公室", "kind": "department",
                          "parent_id": None, "phone": None, "active": True}),
    ]


async def test_a_unit_is_not_made_when_keycloak_cannot_make_its_group(client: httpx.AsyncClient, tree: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _, admin = _someone(("admin",))
    secret = api_client_secret(tree)
    # The API's service account as it is, at an address where nothing listens: Keycloak down.
    monkeypatch.setattr(core.units.api, "users_client", lambda settings: KeycloakAdmin(
        server_url="http://127.0.0.1:9/", realm_name=settings.keycloak_realm, user_realm_name=settings.keycloak_realm,
        client_id=USERS_CLIENT, client_secret_key=secret, timeout=5))
    code = f"lost-{RUN}"
    refused = await client.post(f"/api/v1/tenants/{CITY}/units", headers=admin,
                                json={"code": code, "name": "不该有的单位", "kind": "department"})
    assert refused.status_code == 503 and refused.json()["error"] == "identity_provider_unavailable"
    monkeypatch.undo()
    every = (await client.get(f"/api/v1/tenants/{CITY}/units", headers=admin,
                              params={"include_inactive": True})).json()
    assert code not in [u["code"] for u in every]
    engine = sync_engine(tree)
    with engine.connect() as conn:
        recorded = conn.exec_driver_sql("SELECT count(*) FROM public.config_changes WHERE new->>'code' = %s",
                                        (code,)).scalar()
    engine.dispose()
    assert recorded == 0
