"""The API's surface rules, without HTTP: refusals in plain words with their kind's status, one form of time,
Keycloak's refusals translated (sso/users.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from keycloak.exceptions import KeycloakPostError

from core.orders.errors import OrderNotFound
from infra.refusals import DomainError, InvalidField
from infra.times import province_time, province_times
from sso.access import doing
from sso.users import FieldRefused, NewUser, UserExists, keycloak_refusal
from tenants.models import Tenant

USER = NewUser("clerk", "Clerk-12345!", "4101", ["operator"], name="张三 (Zhang)", email="clerk@example.cn")


def _keycloak(status: int, body: dict) -> KeycloakPostError:
    """The exception python-keycloak raises for an answer of Keycloak's (the error, not the service)."""
    raw = json.dumps(body).encode()
    return KeycloakPostError(error_message=raw, response_code=status, response_body=raw)


def test_a_refusal_carries_its_kinds_status_and_a_stable_code() -> None:
    refusal = OrderNotFound("4101-20261104-000001", "4101")
    assert isinstance(refusal, DomainError) and (refusal.status, refusal.code) == (404, "order_not_found")


def test_a_field_refusal_names_the_field() -> None:
    refusal = InvalidField("citizen.phone", "a phone number is needed when the citizen wants a call back")
    assert refusal.status == 422 and refusal.extra["fields"] == [{"field": "citizen.phone", "message":
                                                                  refusal.detail.split(": ", 1)[1]}]


def test_a_guards_refusal_names_what_and_whose_in_words() -> None:
    city = Tenant(code="4101", name="郑州市")
    assert doing("order", "act", city) == "act on the orders of tenant 4101 (郑州市)"
    assert doing("calendar", "write") == "enter the working-day calendar"


def test_times_are_said_in_the_provinces_offset() -> None:
    assert province_time(datetime(2026, 10, 9, 2, 0, tzinfo=UTC)) == "2026-10-09T10:00:00+08:00"


def test_times_inside_free_json_are_said_the_same_way_but_a_persons_words_are_kept() -> None:
    payload = {"until": "2026-10-09T02:00:00+00:00", "asked_at": "2026-10-09T02:00:00Z", "day": "2026-10-09",
               "content": "2026-10-09T02:00:00Z", "late": False}
    assert province_times(payload) == {"until": "2026-10-09T10:00:00+08:00", "asked_at": "2026-10-09T10:00:00+08:00",
                                       "day": "2026-10-09", "content": "2026-10-09T02:00:00Z", "late": False}


def test_an_existing_username_is_a_conflict_in_plain_words() -> None:
    refusal = keycloak_refusal(_keycloak(409, {"errorMessage": "User exists with same username"}), USER)
    assert isinstance(refusal, UserExists) and (refusal.status, refusal.code) == (409, "user_exists")
    assert refusal.detail == "a user with the username clerk already exists"


def test_an_existing_email_is_a_conflict_naming_the_email() -> None:
    refusal = keycloak_refusal(_keycloak(409, {"errorMessage": "User exists with same email"}), USER)
    assert refusal.status == 409 and "clerk@example.cn" in refusal.detail


def test_a_name_keycloak_refuses_names_the_field_and_the_characters() -> None:
    refusal = keycloak_refusal(_keycloak(400, {"field": "firstName", "errorMessage":
                                               "error-person-name-invalid-character", "params": ["firstName"]}), USER)
    assert isinstance(refusal, FieldRefused) and refusal.status == 422
    assert refusal.detail == "name: a person's name may not contain these characters: ( )"
    assert refusal.extra["fields"][0]["field"] == "name"


def test_keycloaks_raw_answer_never_reaches_a_detail() -> None:
    for status, body in [(400, {"errors": [{"field": "email", "errorMessage": "invalid-email"}]}),
                         (400, {"error": "unknown_error"}), (500, {})]:
        detail = keycloak_refusal(_keycloak(status, body), USER).detail
        assert "b'" not in detail and "{" not in detail and "errorMessage" not in detail, detail
