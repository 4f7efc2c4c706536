"""Administration of the settings (管理): each written by its admin through the API and refused to others (403) and to
bad values (422, naming the field); each write recorded in the history of administration with the old and the new
value; the nearest setting up the tree applies; a new time limit or holiday schedule reaches the next order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core.sla.calendar import CST, WorkCalendar, package_knows
from core.sla.calendar_settings import package_days
from core.sla.service import SlaStore
from tests.lifecycle_helpers import city_departments  # noqa: F401 (the fixture `units`)
from tests.orders_helpers import ADMIN, CITY, DISPATCHER, OPERATOR, SUPERVISOR, register, staff

CITIES = (CITY,)
PROVINCE, DISTRICT = "41", "410611"  # 河南 → 鹤壁 → 淇滨区
PROVINCE_ADMIN = staff("admin", tenant=PROVINCE)
DISTRICT_ADMIN = staff("admin", tenant=DISTRICT)
MONDAY = datetime(2026, 11, 2, 9, tzinfo=CST)
cal = WorkCalendar()


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> Iterator[None]:
    saved = app.state.clock
    app.state.clock = lambda: MONDAY
    yield
    app.state.clock = saved


async def last_change(client: httpx.AsyncClient, tenant: str, subject: str, key: str | None = None,
                      headers: Any = None) -> dict[str, Any]:
    """The newest change of ``subject`` (and ``key``) at ``tenant``, read through the history's own route."""
    params = {"subject": subject, **({"key": key} if key else {})}
    response = await client.get(f"/api/v1/tenants/{tenant}/changes", params=params,
                                headers=headers or staff("admin", tenant=tenant))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items, f"no {subject} change recorded at {tenant}"
    return items[0]  # type: ignore[no-any-return]


def field_of(response: httpx.Response) -> str:
    """The field a 422 names."""
    assert response.status_code == 422, response.text
    return response.json()["fields"][0]["field"]  # type: ignore[no-any-return]


def limits_by_key(body: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["type"], p["urgency"]): p for p in body}


def limit(type_: str, urgency: str, sign: tuple[int, str], handle: tuple[int, str]) -> dict[str, Any]:
    return {"type": type_, "urgency": urgency, "sign": {"value": sign[0], "unit": sign[1]},
            "handle": {"value": handle[0], "unit": handle[1]}}


# ---- time limits (办理时限) --------------------------------------------------------------------------------------

async def test_a_city_admin_sets_a_time_limit_recorded_with_the_old_and_the_new(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN,
                                json=[limit("suggestion", "normal", (1, "working_days"), (6, "working_days"))])
    assert response.status_code == 200, response.text
    mine = limits_by_key(response.json())[("suggestion", "normal")]
    assert mine["handle"] == {"value": 6, "unit": "working_days"} and mine["from"] == CITY
    change = await last_change(client, CITY, "time_limits", "suggestion/normal")
    assert change["action"] == "create" and change["actor_name"]
    assert change["old"] == {"sign": {"value": 1, "unit": "working_days"},
                             "handle": {"value": 10, "unit": "working_days"}, "from": PROVINCE}
    assert change["new"] == {"sign": {"value": 1, "unit": "working_days"},
                             "handle": {"value": 6, "unit": "working_days"}, "from": CITY}


async def test_time_limits_are_refused_to_other_roles_and_to_a_level_below(client: httpx.AsyncClient) -> None:
    change = [limit("praise", "normal", (1, "working_days"), (3, "working_days"))]
    for who in (OPERATOR, DISPATCHER, SUPERVISOR):
        assert (await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=who, json=change)).status_code == 403
    # A district's admin sets its own, not its city's; a city's admin not its province's.
    assert (await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=DISTRICT_ADMIN,
                             json=change)).status_code == 403
    assert (await client.put(f"/api/v1/tenants/{PROVINCE}/time-limits", headers=ADMIN, json=change)).status_code == 403


@pytest.mark.parametrize(("item", "field"), [
    (limit("help", "normal", (3, "working_days"), (2, "working_days")), "0.sign.value"),  # signing after handling
    (limit("help", "normal", (30, "hours"), (1, "working_days")), "0.sign.value"),
    (limit("help", "normal", (1, "working_days"), (61, "working_days")), "0.handle.value"),
    (limit("help", "normal", (1, "working_days"), (721, "hours")), "0.handle.value"),
    (limit("help", "normal", (0, "hours"), (4, "hours")), "0.sign.value"),
    ({**limit("help", "normal", (1, "hours"), (4, "hours")), "urgency": "whenever"}, "0.urgency"),
    ({**limit("help", "normal", (1, "hours"), (4, "hours")), "sign": {"value": 1, "unit": "weeks"}}, "0.sign.unit"),
])
async def test_a_bad_time_limit_is_refused_naming_its_field(client: httpx.AsyncClient, item: dict[str, Any],
                                                            field: str) -> None:
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN, json=[item])
    assert field_of(response) == field
    in_force = limits_by_key((await client.get(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN)).json())
    assert in_force[("help", "normal")]["handle"] == {"value": 10, "unit": "working_days"}  # nothing written


async def test_the_same_type_and_urgency_twice_is_refused(client: httpx.AsyncClient) -> None:
    twice = [limit("help", "urgent", (1, "hours"), (8, "hours")), limit("help", "urgent", (2, "hours"), (9, "hours"))]
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN, json=twice)
    assert field_of(response) == "1.urgency"


async def test_the_next_order_registered_takes_the_new_limit(client: httpx.AsyncClient) -> None:
    before = await register(client, type="report")
    assert datetime.fromisoformat(before["handle_deadline"]) == cal.add_working_days(MONDAY, 15)[0]
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN,
                                json=[limit("report", "normal", (4, "hours"), (3, "working_days"))])
    assert response.status_code == 200, response.text
    after = await register(client, type="report")
    assert datetime.fromisoformat(after["handle_deadline"]) == cal.add_working_days(MONDAY, 3)[0]


async def test_another_process_takes_a_new_limit_without_waiting_for_its_cache(
        app: FastAPI, client: httpx.AsyncClient) -> None:
    other = SlaStore(check_every_s=0)  # another API process's store, asking the settings' counter every time
    async with app.state.db.shared_session() as session:
        loaded = await other.rules(session)
    assert not [p for p in loaded.policies if p.owner_tenant == CITY and p.type == "consultation"]
    response = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN,
                                json=[limit("consultation", "urgent", (1, "hours"), (12, "hours"))])
    assert response.status_code == 200, response.text
    async with app.state.db.shared_session() as session:
        seen = await other.rules(session)
    assert [(p.sign.value, p.handle.value) for p in seen.policies
            if p.owner_tenant == CITY and (p.type, p.urgency) == ("consultation", "urgent")] == [(1, 12)]


async def test_the_nearest_setting_up_the_tree_applies(client: httpx.AsyncClient) -> None:
    def praise(body: list[dict[str, Any]]) -> dict[str, Any]:
        return limits_by_key(body)[("praise", "urgent")]

    province = await client.put(f"/api/v1/tenants/{PROVINCE}/time-limits", headers=PROVINCE_ADMIN,
                                json=[limit("praise", "urgent", (2, "hours"), (30, "hours"))])
    assert province.status_code == 200, province.text
    district = (await client.get(f"/api/v1/tenants/{DISTRICT}/time-limits", headers=DISTRICT_ADMIN)).json()
    assert praise(district)["handle"]["value"] == 30 and praise(district)["from"] == PROVINCE
    city = await client.put(f"/api/v1/tenants/{CITY}/time-limits", headers=ADMIN,
                            json=[limit("praise", "urgent", (1, "hours"), (20, "hours"))])
    assert city.status_code == 200 and praise(city.json())["from"] == CITY
    district = (await client.get(f"/api/v1/tenants/{DISTRICT}/time-limits", headers=DISTRICT_ADMIN)).json()
    assert praise(district)["handle"]["value"] == 20 and praise(district)["from"] == CITY
    province_now = (await client.get(f"/api/v1/tenants/{PROVINCE}/time-limits", headers=PROVINCE_ADMIN)).json()
    assert praise(province_now)["handle"]["value"] == 30 and praise(province_now)["from"] == PROVINCE


async def test_a_city_removes_its_own_limit_and_the_one_above_applies_again(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/time-limits"
    assert (await client.put(url, headers=ADMIN, json=[limit("help", "very_urgent", (1, "hours"),
                                                             (3, "hours"))])).status_code == 200
    removed = await client.delete(f"{url}/help/very_urgent", headers=ADMIN)
    assert removed.status_code == 200, removed.text
    assert limits_by_key(removed.json())[("help", "very_urgent")] == {
        "type": "help", "urgency": "very_urgent", "sign": {"value": 1, "unit": "hours"},
        "handle": {"value": 4, "unit": "hours"}, "from": PROVINCE}
    change = await last_change(client, CITY, "time_limits", "help/very_urgent")
    assert change["action"] == "delete" and change["old"]["from"] == CITY and change["new"]["from"] == PROVINCE
    again = await client.delete(f"{url}/help/very_urgent", headers=ADMIN)
    assert again.status_code == 404 and again.json()["error"] == "not_set_here"
    province = await client.delete(f"/api/v1/tenants/{PROVINCE}/time-limits/help/very_urgent",
                                   headers=PROVINCE_ADMIN)
    assert province.status_code == 409 and province.json()["error"] == "time_limit_required"


async def test_the_rework_limit_is_recorded_and_a_bad_one_refused(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/rework-limit"
    assert field_of(await client.put(url, headers=ADMIN, json={"working_days": 0})) == "working_days"
    assert (await client.put(url, headers=OPERATOR, json={"working_days": 3})).status_code == 403
    response = await client.put(url, headers=ADMIN, json={"working_days": 3})
    assert response.json() == {"working_days": 3, "from": CITY}
    change = await last_change(client, CITY, "rework_limit")
    assert (change["old"], change["new"]) == ({"working_days": 5, "from": "default"},
                                              {"working_days": 3, "from": CITY})
    reverted = await client.delete(url, headers=ADMIN)
    assert reverted.json() == {"working_days": 5, "from": "default"}


# ---- overdue and intake policies (超期策略, 受理策略) ---------------------------------------------------------------

async def test_a_city_overrides_the_provinces_overdue_policy_for_its_subtree(client: httpx.AsyncClient) -> None:
    province = await client.put(f"/api/v1/tenants/{PROVINCE}/overdue-policy", headers=PROVINCE_ADMIN,
                                json={"urge_after_hours": 2, "escalate_after_hours": 48})
    assert province.status_code == 200, province.text
    district = await client.get(f"/api/v1/tenants/{DISTRICT}/overdue-policy", headers=DISTRICT_ADMIN)
    assert district.json() == {"from": PROVINCE, "urge_after_hours": 2.0, "escalate_after_hours": 48.0}
    city = await client.put(f"/api/v1/tenants/{CITY}/overdue-policy", headers=ADMIN,
                            json={"urge_after_hours": 0, "escalate_after_hours": 24})
    assert city.json() == {"from": CITY, "urge_after_hours": 0.0, "escalate_after_hours": 24.0}
    district = await client.get(f"/api/v1/tenants/{DISTRICT}/overdue-policy", headers=DISTRICT_ADMIN)
    assert district.json()["from"] == CITY
    change = await last_change(client, CITY, "overdue_policy")
    assert change["old"] == {"urge_after_hours": 2.0, "escalate_after_hours": 48.0, "from": PROVINCE}
    assert change["new"] == {"urge_after_hours": 0.0, "escalate_after_hours": 24.0, "from": CITY}
    removed = await client.delete(f"/api/v1/tenants/{CITY}/overdue-policy", headers=ADMIN)
    assert removed.json()["from"] == PROVINCE


async def test_a_bad_overdue_policy_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/overdue-policy"
    assert field_of(await client.put(url, headers=ADMIN, json={"urge_after_hours": 24,
                                                               "escalate_after_hours": 4})) == "escalate_after_hours"
    assert field_of(await client.put(url, headers=ADMIN, json={"urge_after_hours": -1})) == "urge_after_hours"
    assert (await client.put(url, headers=DISPATCHER, json={"urge_after_hours": 1})).status_code == 403


async def test_the_intake_policy_is_the_provinces_and_its_changes_are_recorded(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{PROVINCE}/intake-policy"
    city = await client.put(f"/api/v1/tenants/{CITY}/intake-policy", headers=ADMIN,
                            json={"backfill_roles": ["operator"], "backfill_hours": 24})
    assert city.status_code == 403 and city.json()["error"] == "province_only"
    caller = await client.put(url, headers=PROVINCE_ADMIN, json={"backfill_roles": ["caller"], "backfill_hours": 24})
    assert field_of(caller) == "backfill_roles"
    assert field_of(await client.put(url, headers=PROVINCE_ADMIN, json={"backfill_roles": ["operator"],
                                                                        "backfill_hours": 9000})) == "backfill_hours"
    done = await client.put(url, headers=PROVINCE_ADMIN,
                            json={"backfill_roles": ["dispatcher", "operator"], "backfill_hours": 48})
    assert done.json() == {"from": PROVINCE, "backfill_roles": ["dispatcher", "operator"], "backfill_hours": 48}
    change = await last_change(client, PROVINCE, "intake_policy")
    assert change["old"] == {"backfill_roles": ["operator"], "backfill_hours": 72, "from": "default"}
    assert change["new"] == {"backfill_roles": ["dispatcher", "operator"], "backfill_hours": 48, "from": PROVINCE}
    seen = await client.get(f"/api/v1/tenants/{CITY}/intake-policy", headers=OPERATOR)
    assert seen.json()["from"] == PROVINCE


# ---- assessment (考核设置: weights, groups, hot-spot rules) ---------------------------------------------------------

async def test_a_city_admin_changes_an_assessment_weight_recorded(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/assessment/settings"
    current = (await client.get(url, headers=ADMIN)).json()
    assert current["from"] == "defaults" and {i["key"] for i in current["indicators"]} >= {"satisfaction_rate"}
    settings = current["settings"]
    settings["weights"] = {**settings["weights"], "satisfaction_rate": 0.6}
    settings["hotspots"]["min_count"] = 20
    response = await client.put(url, headers=ADMIN, json=settings)
    assert response.status_code == 200, response.text
    assert response.json()["from"] == CITY and response.json()["settings"]["weights"]["satisfaction_rate"] == 0.6
    change = await last_change(client, CITY, "assessment_settings")
    assert change["old"]["from"] == "defaults" and change["old"]["settings"]["weights"]["satisfaction_rate"] == 0.4
    assert change["new"]["settings"]["weights"]["satisfaction_rate"] == 0.6
    assert change["new"]["settings"]["hotspots"]["min_count"] == 20
    below = (await client.get(f"/api/v1/tenants/{DISTRICT}/assessment/settings", headers=DISTRICT_ADMIN)).json()
    assert below["from"] == CITY
    assert (await client.delete(url, headers=ADMIN)).json()["from"] == "defaults"


@pytest.mark.parametrize(("body", "field"), [
    ({"weights": {"charm_rate": 1}}, "weights"),
    ({"weights": {"satisfaction_rate": -1}}, "weights"),
    ({"weights": {"satisfaction_rate": 0}}, "weights"),
    ({"hotspots": {"min_count": 1}}, "hotspots.min_count"),
    ({"groups": {"tenants": {"name": " ", "max_score": 100}, "departments": {"name": "部门", "max_score": 100}}},
     "groups.tenants.name"),
    ({"groups": {"tenants": {"name": "区县", "max_score": 0}, "departments": {"name": "部门", "max_score": 100}}},
     "groups.tenants.max_score"),
])
async def test_a_bad_assessment_setting_is_refused_naming_the_field(client: httpx.AsyncClient, body: dict[str, Any],
                                                                    field: str) -> None:
    response = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=ADMIN, json=body)
    assert field_of(response) == field


async def test_assessment_settings_are_refused_to_a_supervisor(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/api/v1/tenants/{CITY}/assessment/settings", headers=SUPERVISOR, json={})
    assert response.status_code == 403


# ---- categories (诉求分类) -----------------------------------------------------------------------------------------

async def test_a_city_extends_and_renames_its_categories_recorded(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/categories"
    added = await client.post(url, headers=ADMIN, json={"code": "0198", "name": "淇河沿岸", "parent_code": "01"})
    assert added.status_code == 201, added.text
    created = await last_change(client, CITY, "category", "0198")
    assert created["action"] == "create" and created["old"] is None and created["new"]["name"] == "淇河沿岸"
    renamed = await client.patch(f"{url}/0198", headers=ADMIN, json={"name": "淇河沿岸管理", "handle_limit_days": 7})
    assert renamed.status_code == 200 and renamed.json()["handle_limit_days"] == 7
    change = await last_change(client, CITY, "category", "0198")
    assert (change["old"]["name"], change["new"]["name"]) == ("淇河沿岸", "淇河沿岸管理")
    assert (change["old"]["handle_limit_days"], change["new"]["handle_limit_days"]) == (None, 7)
    off = await client.patch(f"{url}/0198", headers=ADMIN, json={"active": False})
    assert off.json()["active"] is False


async def test_a_bad_category_is_refused_with_a_reason(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/categories"
    outside = await client.post(url, headers=ADMIN, json={"code": "8801", "name": "错位", "parent_code": "01"})
    assert field_of(outside) == "code"
    assert (await client.post(url, headers=ADMIN, json={"code": "0196", "name": "沿街", "parent_code": "01"})
            ).status_code == 201
    assert field_of(await client.patch(f"{url}/0196", headers=ADMIN, json={"name": "  "})) == "name"
    assert field_of(await client.patch(f"{url}/0196", headers=ADMIN, json={"handle_limit_days": 90})) == \
        "handle_limit_days"
    provinces = await client.patch(f"{url}/0101", headers=ADMIN, json={"name": "改名"})
    assert provinces.status_code == 403 and provinces.json()["error"] == "category_not_yours"
    assert (await client.post(url, headers=OPERATOR, json={"code": "0197", "name": "x",
                                                           "parent_code": "01"})).status_code == 403
    unknown = await client.patch(f"{url}/0999", headers=ADMIN, json={"name": "无"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "category_not_found"


async def test_a_major_with_minors_in_use_is_not_taken_out_of_use(client: httpx.AsyncClient) -> None:
    url = f"/api/v1/tenants/{CITY}/categories"
    assert (await client.post(url, headers=ADMIN, json={"code": "90", "name": "市级专项"})).status_code == 201
    assert (await client.post(url, headers=ADMIN, json={"code": "9001", "name": "专项一",
                                                        "parent_code": "90"})).status_code == 201
    refused = await client.patch(f"{url}/90", headers=ADMIN, json={"active": False})
    assert refused.status_code == 409 and refused.json()["error"] == "category_has_children"


# ---- routing rules (派单目录) --------------------------------------------------------------------------------------

async def test_every_routing_rule_change_is_recorded_with_the_rule_before_and_after(
        client: httpx.AsyncClient, units: dict[str, int]) -> None:
    url = f"/api/v1/tenants/{CITY}/routing-rules"
    made = (await client.post(url, headers=ADMIN, json={"category": "0105", "to": units["housing"]})).json()
    created = await last_change(client, CITY, "routing_rule", str(made["id"]))
    assert created["action"] == "create" and created["new"]["to_label"] == "市住房和城乡建设局"
    changed = await client.put(f"{url}/{made['id']}", headers=ADMIN,
                               json={"category": "0105", "to": units["water"], "note": "改由水务"})
    assert changed.status_code == 200, changed.text
    update = await last_change(client, CITY, "routing_rule", str(made["id"]))
    assert (update["old"]["to_label"], update["new"]["to_label"]) == ("市住房和城乡建设局", "市水务局")
    assert (await client.delete(f"{url}/{made['id']}", headers=ADMIN)).status_code == 204
    removed = await last_change(client, CITY, "routing_rule", str(made["id"]))
    assert removed["action"] == "delete" and removed["new"] is None and removed["old"]["to_label"] == "市水务局"
    assert (await client.post(url, headers=DISPATCHER, json={"category": "0105",
                                                             "to": units["housing"]})).status_code == 403


# ---- the holiday calendar (节假日安排) ------------------------------------------------------------------------------

async def test_each_year_says_where_its_working_days_come_from(client: httpx.AsyncClient) -> None:
    assert package_knows(2026) and not package_knows(2029)
    known = (await client.get("/api/v1/calendar/2026", headers=OPERATOR)).json()
    assert known["source"] == "chinese_calendar" and known["package_knows"] is True
    national_day = {d["date"]: d for d in known["days"]}["2026-10-01"]
    assert national_day == {"date": "2026-10-01", "workday": False, "name": "国庆节"}
    assert {"date": "2026-10-10", "workday": True, "name": "国庆节"} in known["days"]  # the make-up Saturday
    unknown = (await client.get("/api/v1/calendar/2029", headers=OPERATOR)).json()
    assert unknown == {"year": 2029, "source": "estimated", "package_knows": False, "days": [], "entered_at": None,
                       "entered_by": None}


async def test_the_province_imports_a_year_the_package_knows_recorded(client: httpx.AsyncClient) -> None:
    imported = await client.post("/api/v1/calendar/2026/import", headers=PROVINCE_ADMIN)
    assert imported.status_code == 200, imported.text
    body = imported.json()
    assert body["source"] == "imported" and body["entered_by"]
    assert [(d["date"], d["workday"]) for d in body["days"]] == [
        (d.date.isoformat(), d.workday) for d in package_days(2026)]
    change = await last_change(client, PROVINCE, "calendar", "2026")
    assert change["action"] == "create" and change["old"]["source"] == "chinese_calendar"
    assert change["new"]["source"] == "imported" and len(change["new"]["days"]) == len(body["days"])
    unknown = await client.post("/api/v1/calendar/2029/import", headers=PROVINCE_ADMIN)
    assert unknown.status_code == 409 and unknown.json()["error"] == "calendar_year_unknown"


async def test_entering_an_unknown_year_moves_a_deadline_across_it(app: FastAPI, client: httpx.AsyncClient) -> None:
    app.state.clock = lambda: cst(2028, 4, 28, 10)  # a Friday before 劳动节 of a year the package does not know
    before = await register(client, type="consultation")  # 2 working days
    assert before["deadline_estimated"] is True
    assert datetime.fromisoformat(before["handle_deadline"]) == cst(2028, 5, 2, 10)  # weekends alone
    schedule = {"days": [{"date": "2028-04-30", "workday": True, "name": "劳动节"},
                         *({"date": f"2028-05-0{d}", "workday": False, "name": "劳动节"} for d in (1, 2, 3))]}
    entered = await client.put("/api/v1/calendar/2028", headers=PROVINCE_ADMIN, json=schedule)
    assert entered.status_code == 200 and entered.json()["source"] == "entered"
    after = await register(client, type="consultation")
    assert after["deadline_estimated"] is False
    # Friday's rest, the make-up Sunday, then 1–3 May off: due Thursday 4 May at 10:00.
    assert datetime.fromisoformat(after["handle_deadline"]) == cst(2028, 5, 4, 10)
    change = await last_change(client, PROVINCE, "calendar", "2028")
    assert change["old"] == {"source": "estimated", "days": []} and len(change["new"]["days"]) == 4
    cleared = await client.delete("/api/v1/calendar/2028", headers=PROVINCE_ADMIN)
    assert cleared.json()["source"] == "estimated"
    again = await client.delete("/api/v1/calendar/2028", headers=PROVINCE_ADMIN)
    assert again.status_code == 404 and again.json()["error"] == "not_set_here"
    assert (await register(client, type="consultation"))["deadline_estimated"] is True


@pytest.mark.parametrize(("days", "field"), [
    ([{"date": "2028-10-02", "workday": True}], "days.0.workday"),  # a Monday: working anyway
    ([{"date": "2028-10-01", "workday": False}, {"date": "2028-10-01", "workday": False}], "days.1.date"),
    ([{"date": "2028-13-01", "workday": False}], "days.0.date"),
    ([{"date": "2028-10-01", "workday": "no"}], "days.0.workday"),
    ([], "days"),
])
async def test_a_malformed_schedule_is_refused_naming_the_day(client: httpx.AsyncClient, days: list[Any],
                                                              field: str) -> None:
    response = await client.put("/api/v1/calendar/2028", headers=PROVINCE_ADMIN, json={"days": days})
    assert field_of(response) == field
    assert (await client.get("/api/v1/calendar/2028", headers=OPERATOR)).json()["source"] == "estimated"


async def test_only_the_provinces_admin_writes_the_calendar(client: httpx.AsyncClient) -> None:
    schedule = {"days": [{"date": "2028-01-01", "workday": False, "name": "元旦"}]}
    city = await client.put("/api/v1/calendar/2028", headers=ADMIN, json=schedule)
    assert city.status_code == 403 and city.json()["error"] == "calendar_for_province"
    assert (await client.put("/api/v1/calendar/2028", headers=staff("dispatcher", tenant=PROVINCE),
                             json=schedule)).status_code == 403
    assert (await client.post("/api/v1/calendar/2026/import", headers=ADMIN)).status_code == 403
