"""Sequences the stateful test of cross-level work found breaking an invariant, kept as named tests.

Each is the shrunk sequence Hypothesis reported (tests/test_crosslevel_stateful.py), replayed step by step through
the real API with a real worker; the invariant it broke is asserted at the end.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.orders_helpers import act, detail, intake, record_at, staff, until
from tests.workers import federation_is_clean

PROVINCE, CITY, DISTRICT = "41", "4106", "410611"
CITIES = (CITY,)



@pytest.fixture(scope="module")
async def city_unit(client: httpx.AsyncClient) -> int:
    response = await client.post(f"/api/v1/tenants/{CITY}/units", headers=staff("admin", tenant=CITY),
                                 json={"code": "desk", "name": "鹤壁市承办科室", "kind": "department"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _at_the_city(client: httpx.AsyncClient) -> tuple[str, str]:
    """A request taken by the province and dispatched to the city; (the province's record, the city's)."""
    created = await client.post(f"/api/v1/tenants/{PROVINCE}/orders", headers=staff("operator", tenant=PROVINCE),
                                json=intake())
    root = created.json()["number"]
    await act(client, root, "dispatch", staff("dispatcher", tenant=PROVINCE), tenant=PROVINCE, to=CITY)
    return root, await record_at(client, CITY, root)


def _deadline(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["handle_deadline"])


async def test_a_unit_giving_the_order_back_to_its_own_centre_below_does_not_stop_that_levels_clock(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], city_unit: int) -> None:
    # Found: the city's unit sent the order back to the city's centre, which stopped the city's clock; dispatched
    # on, the city timed a later deadline than the province, which still waited for the city all along.
    root, city = await _at_the_city(client)
    await act(client, city, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=city_unit)
    await act(client, city, "return", staff("handler", tenant=CITY, unit=city_unit), tenant=CITY, reason="非本科室职责")
    await act(client, city, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=DISTRICT)
    below = await record_at(client, DISTRICT, root)
    province = await until(client, PROVINCE, root, status="signed")
    assert _deadline(await detail(client, CITY, city)) == _deadline(province)
    assert _deadline(await detail(client, DISTRICT, below)) == _deadline(province)
    federation_is_clean()


async def test_a_level_below_that_reopens_what_its_reviewer_approved_keeps_the_deadline_set_above(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes], city_unit: int) -> None:
    # Found: the city's supervisor reopened the city's approved record, which started the rework limit at the
    # city while the province went on timing its own deadline.
    root, city = await _at_the_city(client)
    await act(client, city, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=city_unit)
    handler = staff("handler", tenant=CITY, unit=city_unit)
    await act(client, city, "sign", handler, tenant=CITY)
    await act(client, city, "reply", handler, tenant=CITY, content="已处理")
    await act(client, city, "approve", staff("reviewer", tenant=CITY), tenant=CITY)
    reopened = await act(client, city, "reopen", staff("supervisor", tenant=CITY), tenant=CITY, reason="再核实")
    assert reopened["status"] == "signed" and reopened["reopen_count"] == 1
    province = await until(client, PROVINCE, root, status="signed")
    assert _deadline(reopened) == _deadline(province)
    federation_is_clean()


async def test_a_rating_goes_to_the_levels_whose_answer_closed_the_order_not_to_one_that_gave_it_back(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    # Found: the city answered, the province reopened it, the city sent it back and the province answered it
    # itself; the rating of the province's answer must not land on the city.
    root, city = await _at_the_city(client)
    await act(client, city, "answer", staff("operator", tenant=CITY), tenant=CITY, content="已答复")
    await until(client, PROVINCE, root, status="replied")
    await act(client, root, "approve", staff("reviewer", tenant=PROVINCE), tenant=PROVINCE)
    await act(client, root, "reopen", staff("dispatcher", tenant=PROVINCE), tenant=PROVINCE, reason="未解决")
    await until(client, CITY, city, status="signed")
    await act(client, city, "return", staff("dispatcher", tenant=CITY), tenant=CITY, reason="请省级直接答复")
    await until(client, PROVINCE, root, status="returned")
    await act(client, root, "answer", staff("operator", tenant=PROVINCE), tenant=PROVINCE, content="省级已答复")
    await act(client, root, "revisit", staff("caller", tenant=PROVINCE), tenant=PROVINCE,
              satisfaction="basically_satisfied")
    federation_is_clean()
    assert (await detail(client, CITY, city))["satisfaction"] is None


async def test_an_extension_granted_above_reaches_the_level_the_asker_handed_the_order_to_meanwhile(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    # The city's centre asks for more time (forwarded up at once), then hands the order on to the district before
    # the province decides: the granted date must reach the district, which holds the order now.
    root, city = await _at_the_city(client)
    await act(client, city, "sign", staff("dispatcher", tenant=CITY), tenant=CITY)
    await act(client, city, "extend", staff("dispatcher", tenant=CITY), tenant=CITY, days=3, reason="需协调")
    await until(client, PROVINCE, root, status="signed")
    await act(client, city, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=DISTRICT)
    below = await record_at(client, DISTRICT, root)
    granted = await act(client, root, "approve-extension", staff("reviewer", tenant=PROVINCE), tenant=PROVINCE,
                        approved=True)
    federation_is_clean()
    assert _deadline(await detail(client, CITY, city)) == _deadline(granted)
    assert _deadline(await detail(client, DISTRICT, below)) == _deadline(granted)


async def test_a_rejection_brings_a_date_granted_above_while_the_level_below_had_replied(
        client: httpx.AsyncClient, worker: subprocess.Popen[bytes]) -> None:
    # Found: the city asked for more time (forwarded up) and dispatched on; the district answered; the province
    # granted the date, which stopped at the city (the district no longer held the order); the city's reviewer
    # rejected the answer, and the district worked it again on its old deadline, the city timing the new one.
    root, city = await _at_the_city(client)
    await act(client, city, "sign", staff("dispatcher", tenant=CITY), tenant=CITY)
    await act(client, city, "extend", staff("dispatcher", tenant=CITY), tenant=CITY, days=3, reason="需协调")
    await act(client, city, "dispatch", staff("dispatcher", tenant=CITY), tenant=CITY, to=DISTRICT)
    below = await record_at(client, DISTRICT, root)
    await act(client, below, "answer", staff("operator", tenant=DISTRICT), tenant=DISTRICT, content="已答复")
    await until(client, CITY, city, status="replied")
    granted = await act(client, root, "approve-extension", staff("reviewer", tenant=PROVINCE), tenant=PROVINCE,
                        approved=True)
    new_date = _deadline(granted)
    await until(client, CITY, city, handle_deadline=lambda d: d is not None and datetime.fromisoformat(d) == new_date)
    await act(client, city, "reject", staff("reviewer", tenant=CITY), tenant=CITY, reason="答复不完整")
    reworked = await until(client, DISTRICT, below, status="signed")
    federation_is_clean()
    assert _deadline(reworked) == new_date
    assert reworked["reopen_count"] == 0
