"""The demo province as a newcomer gets it from `hotline up`: its people work one request from the city's seat
down to a town's office and back, each with their own demo account, over the README's API."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sso.demo import DEMO_PASSWORD
from tests.orders_helpers import intake
from tests.test_up import HOTLINE, hotline, isolated_env

CITY, DISTRICT, TOWN = "4101", "410102", "410102001"  # 郑州 → 中原区 → 林山寨街道


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {**isolated_env(tmp_path_factory.mktemp("demo") / "home"), "HOTLINE_DEMO_TOWN_CITIES": json.dumps([CITY])}
    up = hotline(env, "up", "--detach", timeout=600)
    assert up.returncode == 0, up.stdout + up.stderr
    yield env
    subprocess.run([HOTLINE, "down"], env=env, capture_output=True, timeout=120)


class Person:
    """A demo account, signed in with its password as the README shows."""

    def __init__(self, env: dict[str, str], username: str) -> None:
        issuer = f"http://127.0.0.1:{env['HOTLINE_KEYCLOAK_PORT']}/realms/hotline"
        granted = httpx.post(f"{issuer}/protocol/openid-connect/token", timeout=10, data={
            "client_id": "hotline-cli", "grant_type": "password", "username": username, "password": DEMO_PASSWORD})
        assert granted.status_code == 200, f"{username}: {granted.text}"
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{env['HOTLINE_API_PORT']}/api/v1", timeout=30,
                                 headers={"Authorization": f"Bearer {granted.json()['access_token']}"})

    def act(self, tenant: str, number: str, action: str, **body: Any) -> dict[str, Any]:
        response = self.http.post(f"/tenants/{tenant}/orders/{number}/{action}", json=body)
        assert response.status_code == 200, f"{action}: {response.text}"
        return response.json()  # type: ignore[no-any-return]

    def record(self, tenant: str, root: str, **wanted: Any) -> dict[str, Any]:
        """This person's view of ``tenant``'s record of the request, once it is as wanted."""
        def found() -> dict[str, Any] | None:
            items = self.http.get(f"/tenants/{tenant}/orders", params={"number": root}).json()["items"]
            if not items:
                return None
            detail = self.http.get(f"/tenants/{tenant}/orders/{items[0]['number']}").json()
            return detail if all(detail[k] == v for k, v in wanted.items()) else None

        return _eventually(found)


def _eventually(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)
    return value


def test_the_demo_people_work_a_request_from_the_citys_seat_down_to_a_towns_office_and_back(
        platform: dict[str, str]) -> None:
    people = {name: Person(platform, name) for name in (
        "zz-operator", "zz-dispatcher", "zz-reviewer", "zz-caller", "zy-dispatcher", "zy-reviewer",
        "lj-dispatcher", "lj-urban", "lj-reviewer", "henan-supervisor")}
    taken = people["zz-operator"].http.post(f"/tenants/{CITY}/orders", json=intake(division_code=TOWN))
    assert taken.status_code == 201, taken.text
    root = taken.json()["number"]
    people["zz-dispatcher"].act(CITY, root, "dispatch", to=DISTRICT)
    district = people["zy-dispatcher"].record(DISTRICT, root)["number"]
    people["zy-dispatcher"].act(DISTRICT, district, "dispatch", to=TOWN)  # signs it on the way
    town = people["lj-dispatcher"].record(TOWN, root)["number"]
    offices = {u["code"]: u["id"] for u in people["lj-dispatcher"].http.get(f"/tenants/{TOWN}/units").json()}
    people["lj-dispatcher"].act(TOWN, town, "dispatch", to=offices["urban"])
    people["henan-supervisor"].act(CITY, root, "urge", reason="省督办：请加快办理")
    assert "reply" in people["lj-urban"].act(TOWN, town, "sign")["allowed_actions"]
    people["lj-urban"].record(TOWN, root, urge_count=1)
    people["lj-urban"].act(TOWN, town, "contact", note="已电话联系市民")
    people["lj-urban"].act(TOWN, town, "reply", content="已组织维修楼顶防水层")
    for reviewer, tenant, number in (("lj-reviewer", TOWN, town), ("zy-reviewer", DISTRICT, district),
                                     ("zz-reviewer", CITY, root)):
        people[reviewer].record(tenant, root, status="replied")
        people[reviewer].act(tenant, number, "approve")
        people[reviewer].act(tenant, number, "close")
    people["zz-caller"].act(CITY, root, "revisit", satisfaction="satisfied")
    assert people["lj-urban"].record(TOWN, root, satisfaction="satisfied")["lead_unit_id"] == offices["urban"]
    check = hotline(platform, "federation", "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_demo_lists_people_for_every_role_at_a_city_a_district_and_a_town(platform: dict[str, str]) -> None:
    listed = hotline(platform, "demo", "users")
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    for tenant in (CITY, DISTRICT, TOWN):
        roles = {role for row in rows if f" {tenant} " in row for role in ("operator", "dispatcher", "reviewer",
                                                                           "caller", "supervisor", "admin", "handler")
                 if role in row}
        assert roles == {"operator", "dispatcher", "reviewer", "caller", "supervisor", "admin", "handler"}, tenant


@pytest.mark.parametrize(("who", "tenant", "category", "division", "target"), [
    ("zz-dispatcher", CITY, "0101", TOWN, "郑州市住房和城乡建设局"),  # 建筑工程质量: by category, to the department
    ("zz-dispatcher", CITY, "0111", None, "郑州市城市管理局"),  # 建筑渣土运输: a minor of its own department
    ("zz-dispatcher", CITY, "0901", TOWN, "中原区"),  # 占道经营 in 林山寨街道: by place, to the district
    ("zy-dispatcher", DISTRICT, "0301", TOWN, "中原区市场监督管理局"),
    ("zy-dispatcher", DISTRICT, "0807", TOWN, "林山寨街道"),  # 物业服务: by place, to the town
    ("lj-dispatcher", TOWN, "0901", TOWN, "林山寨街道城市管理办公室"),  # to the town's own office
    ("lj-dispatcher", TOWN, "1201", TOWN, "林山寨街道社会事务办公室"),
], ids=["city-department", "city-minor", "city-district", "district-department", "district-town", "town-urban",
        "town-social"])
def test_the_demos_routing_rules_suggest_a_target_at_every_level(
        platform: dict[str, str], who: str, tenant: str, category: str, division: str | None, target: str) -> None:
    params = {"category": category, **({"division_code": division} if division else {})}
    suggested = Person(platform, who).http.get(f"/tenants/{tenant}/routing-rules/suggest", params=params)
    assert suggested.status_code == 200 and suggested.json() is not None, suggested.text
    assert suggested.json()["to_label"] == target
