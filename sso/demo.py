"""Demo people for the demo province: a few tenants of every level, every role somewhere."""

from __future__ import annotations

from dataclasses import dataclass

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from sso.users import NewUser, UserError, create_user

DEMO_PASSWORD = "Demo-12345!"


@dataclass(frozen=True)
class DemoUser:
    username: str
    tenant: str
    roles: tuple[str, ...]
    unit_code: str | None = None
    note: str = ""


DEMO_USERS = [
    DemoUser("henan-supervisor", "41", ("supervisor",), note="省督办: reads and urges every city"),
    DemoUser("henan-admin", "41", ("admin",), note="province admin: calendar, time limits, users"),
    DemoUser("henan-auditor", "41", ("auditor",), note="reads everything, checks the event log"),
    DemoUser("zz-operator", "4101", ("operator",), note="郑州 centre operator"),
    DemoUser("zz-dispatcher", "4101", ("dispatcher",), note="郑州 dispatcher"),
    DemoUser("zz-reviewer", "4101", ("reviewer",), note="郑州 reviewer"),
    DemoUser("zz-caller", "4101", ("caller",), note="郑州 follow-up caller"),
    DemoUser("zz-supervisor", "4101", ("supervisor",), note="郑州 supervisor"),
    DemoUser("zz-admin", "4101", ("admin",), note="郑州 tenant admin"),
    DemoUser("zz-water", "4101", ("department_handler",), "water", "郑州水利局 department handler"),
    DemoUser("zy-dispatcher", "410102", ("dispatcher", "reviewer"), note="中原区 centre"),
    DemoUser("zy-housing", "410102", ("handler",), "housing", "中原区住建局 handler"),
    DemoUser("lj-street", "410102001", ("operator", "dispatcher", "reviewer"), note="林山寨街道"),
    DemoUser("kf-operator", "4102", ("operator",), note="开封 operator (another city)"),
]


def ensure_demo_users(kc: KeycloakAdmin, engine: Engine) -> list[tuple[DemoUser, str]]:
    """Create the demo users that are missing (tenants not loaded are skipped). Returns (user, status)."""
    result = []
    for demo in DEMO_USERS:
        if kc.get_users({"username": demo.username, "exact": "true"}):
            result.append((demo, "exists"))
            continue
        unit_id = None
        try:
            if demo.unit_code:
                with engine.connect() as conn:
                    unit_id = conn.execute(text(f'SELECT id FROM "t_{demo.tenant}".units WHERE code = :c'),
                                           {"c": demo.unit_code}).scalar()
            create_user(kc, engine, NewUser(demo.username, DEMO_PASSWORD, demo.tenant, list(demo.roles), unit_id,
                                            name=demo.note.split(" ")[0]))
            result.append((demo, "created"))
        except (UserError, KeycloakError, SQLAlchemyError) as exc:  # a tenant outside the demo: say so, go on
            result.append((demo, f"skipped: {exc}"))
    return result
