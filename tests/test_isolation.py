"""No role of one tenant reads or changes another's data: every route × every role × every relation.

Routes come from the app's OpenAPI document; each must declare its permission (a guard) or be
explicitly public. Then every role of tenant A calls every guarded route on a sibling, the
parent and a descendant of A: siblings and parents are always refused; a descendant only where
the role's policy reaches down.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute

from app.factory import create_app
from iam.actors import Role
from iam.authorizer import Authorizer
from iam.policies import policy_rows
from sso.access import Guard, TenantGuard
from tests.orders_helpers import intake, staff

A, SIBLING, PARENT, DESCENDANT = "4106", "4105", "41", "410611"
CITIES = (A, SIBLING)
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/api/v1/public/orders/{query_code}"),
          ("POST", "/api/v1/public/tenants/{code}/requests"), ("GET", "/api/v1/public/tenants/{code}/categories"),
          ("GET", "/auth/login"), ("GET", "/auth/callback"), ("POST", "/auth/logout")}
SIGNED_IN_ONLY = {("GET", "/auth/me")}
PATHS = {"41": "41", "4105": "41/4105", "4106": "41/4106", "410611": "41/4106/410611"}


def _guard(route: APIRoute) -> TenantGuard | Guard | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, TenantGuard | Guard):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def _api_routes(routes: list, prefix: str = "") -> list[tuple[str, APIRoute]]:  # type: ignore[type-arg]
    """Every APIRoute with its full path (routers are included lazily in recent FastAPI)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def _routes() -> dict[tuple[str, str], APIRoute]:
    app = create_app()
    return {(method, path): route for path, route in _api_routes(app.router.routes) for method in route.methods}


def test_every_route_in_the_openapi_document_declares_its_permission() -> None:
    app = create_app()
    routes = _routes()
    unguarded = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            if key in PUBLIC:
                continue
            assert operation.get("security"), f"{key} does not ask for a token in the OpenAPI document"
            if key not in SIGNED_IN_ONLY and _guard(routes[key]) is None:
                unguarded.append(key)
    assert unguarded == []








@pytest.fixture(scope="module")
async def targets(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """In every target tenant: a unit and an order of its own."""
    seeded = {}
    for code in (SIBLING, PARENT, DESCENDANT, A):
        unit = await client.post(f"/api/v1/tenants/{code}/units", headers=staff("admin", tenant=code),
                                 json={"code": "iso", "name": "隔离测试局", "kind": "department"})
        assert unit.status_code == 201, unit.text
        division = code if len(code) > 2 else "4106"
        order = await client.post(f"/api/v1/tenants/{code}/orders", headers=staff("operator", tenant=code),
                                  json=intake(division_code=division))
        assert order.status_code == 201, order.text
        seeded[code] = {"unit_id": str(unit.json()["id"]), "number": order.json()["number"],
                        "secret": order.json()["citizen_phone"]}
    return seeded


def _url(path: str, code: str, seeded: dict[str, str]) -> str:
    return (path.replace("{code}", code).replace("{number}", seeded["number"])
            .replace("{unit_id}", seeded["unit_id"]).replace("{action}", "urge")
            .replace("{username}", "nobody").replace("{year}", "2027").replace("{attachment_id}", "1")
            .replace("{rule_id}", "1"))


async def _a_role(client: httpx.AsyncClient, role: Role, targets: dict) -> httpx.Headers:  # type: ignore[type-arg]
    unit = int(targets[A]["unit_id"]) if role in (Role.handler, Role.department_handler) else None
    return staff(role.value, tenant=A, unit=unit)


@pytest.mark.parametrize("role", list(Role))
async def test_no_role_reaches_a_sibling_or_the_parent(client: httpx.AsyncClient, targets: dict, role: Role) -> None:
    headers = await _a_role(client, role, targets)
    for method, path in _routes():
        if "{code}" not in path or (method, path) in PUBLIC:
            continue
        for target in (SIBLING, PARENT):
            response = await client.request(method, _url(path, target, targets[target]), headers=headers, json={})
            assert response.status_code == 403, (role, method, path, target, response.status_code)
            assert targets[target]["secret"] not in response.text


@pytest.mark.parametrize("role", list(Role))
async def test_a_descendant_is_reached_only_where_the_policy_reaches_down(
        client: httpx.AsyncClient, targets: dict, role: Role) -> None:
    authorizer = Authorizer(policy_rows())
    headers = await _a_role(client, role, targets)
    for (method, path), route in _routes().items():
        guard = _guard(route)
        if "{code}" not in path or not isinstance(guard, TenantGuard):
            continue
        may = authorizer.decide([role.value], PATHS[A], PATHS[DESCENDANT], guard.resource, guard.action)
        response = await client.request(method, _url(path, DESCENDANT, targets[DESCENDANT]), headers=headers,
                                        json={})
        if may:
            assert response.status_code != 403, (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert targets[DESCENDANT]["secret"] not in response.text


async def test_a_units_staff_see_only_their_units_orders(client: httpx.AsyncClient, targets: dict) -> None:
    own_unit = int(targets[A]["unit_id"])
    dispatcher = staff("dispatcher", tenant=A)
    mine = await client.post(f"/api/v1/tenants/{A}/orders", headers=staff("operator", tenant=A),
                             json=intake(division_code=A))
    number = mine.json()["number"]
    dispatched = await client.post(f"/api/v1/tenants/{A}/orders/{number}/dispatch", headers=dispatcher,
                                   json={"to": own_unit})
    assert dispatched.status_code == 200, dispatched.text
    handler = staff("handler", tenant=A, unit=own_unit)
    listed = (await client.get(f"/api/v1/tenants/{A}/orders", headers=handler)).json()["items"]
    assert [o["number"] for o in listed] == [number]
    other = targets[A]["number"]  # registered, not with this unit
    assert (await client.get(f"/api/v1/tenants/{A}/orders/{other}", headers=handler)).status_code == 404
    assert (await client.get(f"/api/v1/tenants/{A}/orders/{number}", headers=handler)).status_code == 200


def test_the_compiled_decisions_equal_casbins_for_every_role_resource_action_and_relation() -> None:
    authorizer = Authorizer(policy_rows())
    relations = [("41/4101", "41/4101"), ("41/4101", "41/4101/410102"), ("41/4101", "41/4101/410102/410102001"),
                 ("41/4101", "41/4102"), ("41/4101", "41"), ("41/4101", "41/41011"), ("41", "41/4101"),
                 ("41/4101/410102", "41/4101/410103"), ("41/4101/410102/410102001", "41/4101/410102")]
    resources = {(obj, act) for _, _, obj, act in policy_rows()} | {("order", "delete"), ("nothing", "read")}
    checked = 0
    for role in [r.value for r in Role] + ["stranger"]:
        for obj, act in resources:
            for home, target in relations:
                assert authorizer.decide([role], home, target, obj, act) == \
                    authorizer.enforce_plain([role], home, target, obj, act), (role, obj, act, home, target)
                checked += 1
    assert checked > 1000
