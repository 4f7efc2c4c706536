"""Identity against the real Keycloak: tokens, what is refused, realm sync, users, web sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from cli.main import app as cli
from infra.db import sync_engine
from infra.settings import Settings
from sso.groups import sync_groups
from sso.realm import API_CLIENT, admin_client, sync_realm, token_mappers
from sso.tokens import InvalidToken, TokenValidator
from tests import identity
from tests.identity import PASSWORD, ensure_user, token, username_for
from tests.orders_helpers import staff

CITY, SIBLING, DISTRICT = "4106", "4105", "410611"
CITIES = (CITY, SIBLING)








def _token_of(role: str, tenant: str, unit: int | None = None) -> str:
    name = username_for(role, tenant, unit)
    ensure_user(name, role, tenant, unit)
    return token(name)


def _claims(raw: str) -> dict:
    payload = raw.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# ---- tokens from Keycloak -------------------------------------------------------------------


@pytest.mark.parametrize(("role", "tenant"), [("supervisor", "41"), ("operator", CITY), ("dispatcher", DISTRICT),
                                              ("operator", "410611001")])
async def test_a_keycloak_token_names_the_person_their_tenant_and_roles(client: httpx.AsyncClient, role: str,
                                                                        tenant: str) -> None:
    raw = _token_of(role, tenant)
    claims = _claims(raw)
    assert API_CLIENT in claims["aud"] and claims["tenant_path"].endswith(tenant)
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200, me.text
    assert me.json()["tenant"] == tenant and role in me.json()["roles"]


async def test_a_request_without_a_token_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}")
    assert response.status_code == 401 and "Bearer" in response.headers["www-authenticate"]


async def test_a_valid_token_without_permission_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{SIBLING}", headers=staff("operator", tenant=CITY))
    assert response.status_code == 403


# ---- what is refused ------------------------------------------------------------------------


async def _refused(client: httpx.AsyncClient, raw: str) -> str:
    response = await client.get(f"/api/v1/tenants/{CITY}", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    return response.json()["detail"]


async def test_a_token_signed_by_another_key_is_refused(client: httpx.AsyncClient) -> None:
    genuine = _token_of("operator", CITY)
    header = jwt.get_unverified_header(genuine)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(genuine), key, algorithm="RS256", headers={"kid": header["kid"]})
    assert "invalid token" in await _refused(client, forged)


async def test_alg_none_is_refused(client: httpx.AsyncClient) -> None:
    genuine = _token_of("operator", CITY)
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{genuine.split('.')[1]}."
    assert "algorithm" in await _refused(client, unsigned)


async def test_hs256_signed_with_the_realms_public_key_is_refused(client: httpx.AsyncClient, tree: Settings) -> None:
    genuine = _token_of("operator", CITY)
    jwks = httpx.get(f"{tree.issuer}/protocol/openid-connect/certs").json()
    kid = jwt.get_unverified_header(genuine)["kid"]
    public = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid)).key
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = genuine.split(".")[1]
    signature = _b64(hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    assert "algorithm" in await _refused(client, f"{header}.{body}.{signature}")


async def test_a_token_without_the_api_audience_is_refused(client: httpx.AsyncClient, tree: Settings) -> None:
    name = username_for("operator", CITY, None)
    ensure_user(name, "operator", CITY, None)
    # A client of the realm without the audience mapper for the API (admin-cli takes no passwords any more).
    kc, other = admin_client(tree), "hotline-cli-no-audience"
    if not kc.get_client_id(other):
        kc.create_client({"clientId": other, "publicClient": True, "directAccessGrantsEnabled": True,
                          "standardFlowEnabled": False})
    raw = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": other, "grant_type": "password", "username": name, "password": PASSWORD}).json()
    assert "aud" in await _refused(client, raw["access_token"])  # no audience, or another one


def test_a_token_for_another_api_is_refused(tree: Settings) -> None:
    validator = TokenValidator(tree.issuer, "another-api")
    with pytest.raises(InvalidToken, match="another audience"):
        validator.validate(_token_of("operator", CITY))


def test_a_token_of_another_issuer_is_refused(tree: Settings) -> None:
    genuine = _token_of("operator", CITY)
    validator = TokenValidator("http://elsewhere.example/realms/hotline", API_CLIENT,
                               jwks_url=f"{tree.issuer}/protocol/openid-connect/certs")
    with pytest.raises(InvalidToken, match="another issuer"):
        validator.validate(genuine)


async def test_an_expired_token_is_refused(client: httpx.AsyncClient, tree: Settings) -> None:
    kc = admin_client(tree)
    short = "hotline-cli-short"
    if not kc.get_client_id(short):
        kc.create_client({"clientId": short, "publicClient": True, "directAccessGrantsEnabled": True,
                          "standardFlowEnabled": False, "attributes": {"access.token.lifespan": "1"},
                          "protocolMappers": token_mappers()})
    name = username_for("operator", CITY, None)
    ensure_user(name, "operator", CITY, None)
    raw = httpx.post(f"{tree.issuer}/protocol/openid-connect/token", data={
        "client_id": short, "grant_type": "password", "username": name, "password": PASSWORD}).json()["access_token"]
    assert _claims(raw)["exp"] - _claims(raw)["iat"] <= 1
    time.sleep(7)  # past its expiry and the 5 s leeway
    assert "expired" in await _refused(client, raw)


def test_validation_goes_on_with_cached_keys_when_keycloak_is_unreachable(tree: Settings) -> None:
    validator = TokenValidator(tree.issuer, API_CLIENT)
    validator.validate(_token_of("operator", CITY))  # fetches and keeps the keys
    validator.jwks_url = "http://127.0.0.1:9/certs"  # Keycloak gone
    fresh = _token_of("supervisor", "41")
    assert validator.validate(fresh).username == username_for("supervisor", "41", None)


# ---- realm and group sync -------------------------------------------------------------------


def test_a_second_sync_with_no_change_writes_nothing(tree: Settings) -> None:
    engine = sync_engine(tree)
    kc = admin_client(tree)
    sync_realm(tree)
    first = sync_groups(kc, engine)
    assert first.created >= 0
    assert sync_realm(tree).writes == []
    again = sync_groups(kc, engine)
    assert (again.writes, again.requests) == (0, 0)


def test_groups_mirror_the_tree_and_follow_new_tenants_and_removed_units(tree: Settings) -> None:
    engine = sync_engine(tree)
    kc = admin_client(tree)
    sync_groups(kc, engine)
    district = kc.get_group_by_path(f"/41/{CITY}/{DISTRICT}")
    assert district["attributes"]["name"] == ["淇滨区"]
    assert CliRunner().invoke(cli, ["tenants", "add", f"{DISTRICT}901", "新区街道"]).exit_code == 0
    with engine.begin() as conn:
        unit_id = conn.exec_driver_sql(
            f"INSERT INTO t_{CITY}.units (code, name, kind) VALUES ('sync-test', '测试局', 'department') RETURNING id"
        ).scalar()
    report = sync_groups(kc, engine)
    assert report.created == 2
    assert kc.get_group_by_path(f"/41/{CITY}/{DISTRICT}/{DISTRICT}901")["name"] == f"{DISTRICT}901"
    assert kc.get_group_by_path(f"/41/{CITY}/unit-{unit_id}")["attributes"]["name"] == ["测试局"]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE t_{CITY}.units SET active = false WHERE id = {unit_id}")
    assert sync_groups(kc, engine).deleted == 1
    with pytest.raises(Exception):  # noqa: B017 — python-keycloak raises a generic error for a missing path
        kc.get_group_by_path(f"/41/{CITY}/unit-{unit_id}")


# ---- users, confined to the admin's subtree -------------------------------------------------


async def test_a_tenant_admin_creates_and_disables_users_in_its_subtree(client: httpx.AsyncClient) -> None:
    name = f"admin-operator-{CITY}-{username_for('admin', CITY, None).rsplit('-', 1)[-1]}"
    ensure_user(name, "admin", CITY, None, also=("operator",))
    admin = {"Authorization": f"Bearer {token(name)}"}
    name = f"clerk-{int(time.time())}"
    created = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json={
        "username": name, "password": "Clerk-12345!", "roles": ["operator"], "must_change_password": False})
    assert created.status_code == 201, created.text
    listed = await client.get(f"/api/v1/tenants/{DISTRICT}/users", headers=admin)
    assert name in [u["username"] for u in listed.json()]
    assert token(name, "Clerk-12345!")
    disabled = await client.post(f"/api/v1/tenants/{DISTRICT}/users/{name}/disable", headers=admin)
    assert disabled.status_code == 204
    identity._tokens.pop(name, None)  # ask Keycloak again, not the cache
    with pytest.raises(httpx.HTTPStatusError):
        token(name, "Clerk-12345!")


def _user_admin() -> dict[str, str]:
    """A city admin (who is an operator too, as the demo's desks were provisioned before the grant rule changed)."""
    name = f"admin-operator-{CITY}-{username_for('admin', CITY, None).rsplit('-', 1)[-1]}"
    ensure_user(name, "admin", CITY, None, also=("operator",))
    return {"Authorization": f"Bearer {token(name)}"}


async def test_a_username_that_exists_is_a_409_in_plain_words(client: httpx.AsyncClient) -> None:
    admin, name = _user_admin(), f"twice-{int(time.time() * 1000)}"
    person = {"username": name, "password": "Twice-12345!", "roles": ["operator"]}
    assert (await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json=person)).status_code == 201
    again = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=admin, json=person)
    assert again.status_code == 409, again.text
    assert again.json() == {"error": "user_exists", "detail": f"a user with the username {name} already exists"}


async def test_a_name_keycloak_refuses_is_a_422_naming_the_field_and_characters(client: httpx.AsyncClient) -> None:
    name = f"paren-{int(time.time() * 1000)}"
    response = await client.post(f"/api/v1/tenants/{DISTRICT}/users", headers=_user_admin(), json={
        "username": name, "password": "Paren-12345!", "roles": ["operator"], "name": "张三 (窗口)"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_user" and body["fields"][0]["field"] == "name"
    assert body["detail"] == "name: a person's name may not contain these characters: ( )"
    assert "b'" not in response.text and "errorMessage" not in response.text


async def test_a_tenant_admin_cannot_manage_users_outside_its_subtree(client: httpx.AsyncClient) -> None:
    admin = staff("admin", tenant=CITY)
    for code in (SIBLING, "41"):
        response = await client.post(f"/api/v1/tenants/{code}/users", headers=admin, json={
            "username": "intruder", "password": "Intruder-123!", "roles": ["admin"]})
        assert response.status_code == 403, code
        assert (await client.get(f"/api/v1/tenants/{code}/users", headers=admin)).status_code == 403


async def test_a_city_admin_sets_up_the_units_of_a_town_below_it_but_not_of_a_sibling_city(
        client: httpx.AsyncClient) -> None:
    admin, town = staff("admin", tenant=CITY), f"{DISTRICT}001"
    office = {"code": "urban", "name": "金山街道城市管理办公室", "kind": "department"}
    created = await client.post(f"/api/v1/tenants/{town}/units", headers=admin, json=office)
    assert created.status_code == 201, created.text
    renamed = await client.patch(f"/api/v1/tenants/{town}/units/{created.json()['id']}", headers=admin,
                                 json={"name": "金山街道城市管理和综合执法办公室"})
    assert renamed.status_code == 200, renamed.text
    sibling = await client.post(f"/api/v1/tenants/{SIBLING}/units", headers=admin, json=office)
    assert sibling.status_code == 403
    above = await client.post("/api/v1/tenants/41/units", headers=admin, json=office)
    assert above.status_code == 403


async def test_an_operator_cannot_manage_users(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/tenants/{CITY}/users", headers=staff("operator", tenant=CITY))
    assert response.status_code == 403


# ---- web sign-in ----------------------------------------------------------------------------


async def test_the_console_signs_in_with_pkce_and_a_safe_session_cookie(client: httpx.AsyncClient,
                                                                        tree: Settings) -> None:
    name = username_for("operator", CITY, None)
    ensure_user(name, "operator", CITY, None)
    start = await client.get("/auth/login")
    assert start.status_code == 302
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == ["hotline-console"]
    assert "HttpOnly" in start.headers["set-cookie"]
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        page = await browser.get(authorize)
        form = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        # Keycloak marks its cookies Secure; browsers send them to http://127.0.0.1 anyway, httpx does not.
        jar = "; ".join(c.split(";", 1)[0] for c in page.headers.get_list("set-cookie"))
        done = await browser.post(urljoin(authorize, form), data={"username": name, "password": PASSWORD},
                                  headers={"Cookie": jar})
        assert done.status_code == 302, done.text[:300]
        back = done.headers["location"]
    assert back.startswith(f"{tree.effective_console_url}/auth/callback")
    callback = await client.get("/auth/callback?" + urlsplit(back).query,
                                headers={"Cookie": f"hotline_login={start.cookies['hotline_login']}"})
    assert callback.status_code == 302, callback.text
    cookie = callback.headers["set-cookie"]
    assert "hotline_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    session = callback.cookies["hotline_session"]
    me = await client.get("/auth/me", headers={"Cookie": f"hotline_session={session}"})
    assert me.status_code == 200 and me.json()["user"] == name
    out = await client.post("/auth/logout", headers={"Cookie": f"hotline_session={session}",
                                                     "X-CSRF-Token": me.json()["csrf_token"]})
    assert out.status_code == 303 and "/protocol/openid-connect/logout" in out.headers["location"]
    assert (await client.get("/auth/me", headers={"Cookie": f"hotline_session={session}"})).status_code == 401


async def test_a_callback_with_a_foreign_state_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/auth/callback", params={"code": "x", "state": "forged"},
                                headers={"Cookie": "hotline_login=other.verifier"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_state"


async def test_every_process_reloads_changed_policies(client: httpx.AsyncClient, tree: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import iam.store
    from iam.store import sync_policies

    monkeypatch.setattr(iam.store, "CHECK_EVERY_S", 0.0)
    operator = staff("operator", tenant=CITY)
    assert (await client.get(f"/api/v1/tenants/{CITY}", headers=operator)).status_code == 200
    engine = sync_engine(tree)
    with engine.begin() as conn:  # another process changes the policies
        conn.exec_driver_sql("DELETE FROM casbin_rule WHERE v0 = 'operator' AND v2 = 'tenant'")
        conn.exec_driver_sql("UPDATE iam_version SET version = version + 1")
    try:
        assert (await client.get(f"/api/v1/tenants/{CITY}", headers=operator)).status_code == 403
    finally:
        assert sync_policies(engine)
    assert (await client.get(f"/api/v1/tenants/{CITY}", headers=operator)).status_code == 200
