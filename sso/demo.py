"""Demo people for the demo province: every role at a city, a district and a town, and the province's desk."""

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


def _desk(prefix: str, tenant: str, where: str, roles: tuple[str, ...]) -> list[DemoUser]:
    """One person for each of the desk roles of a level's centre."""
    what = {"operator": "话务员 operator", "dispatcher": "派单员 dispatcher", "reviewer": "审核员 reviewer",
            "caller": "回访员 follow-up caller", "supervisor": "督办员 supervisor", "admin": "管理员 tenant admin",
            "auditor": "审计员 auditor"}
    return [DemoUser(f"{prefix}-{role}", tenant, (role,), note=f"{where} {what[role]}") for role in roles]


_DESK = ("operator", "dispatcher", "reviewer", "caller", "supervisor", "admin")

# Every role at the province, a city (郑州), a district (中原区) and a town (林山寨街道), with handlers of a unit at
# each level below the province: an order can be worked across four levels with the demo people alone.
DEMO_USERS = [
    DemoUser("henan-supervisor", "41", ("supervisor",), note="省督办: reads and urges every city"),
    DemoUser("henan-admin", "41", ("admin",), note="province admin: calendar, time limits, users"),
    DemoUser("henan-auditor", "41", ("auditor",), note="reads everything, checks the event log"),
    *_desk("henan", "41", "省12345", ("operator", "dispatcher", "reviewer", "caller")),
    *_desk("zz", "4101", "郑州", _DESK),
    DemoUser("zz-water", "4101", ("department_handler",), "water", "郑州水利局 department handler"),
    DemoUser("zz-housing", "4101", ("handler",), "housing", "郑州住建局 handler"),
    *_desk("zy", "410102", "中原区", _DESK),
    DemoUser("zy-housing", "410102", ("handler",), "housing", "中原区住建局 handler"),
    *_desk("lj", "410102001", "林山寨街道", _DESK),
    DemoUser("lj-urban", "410102001", ("handler",), "urban", "林山寨街道城市管理办公室 handler"),
    DemoUser("lj-street", "410102001", ("operator", "dispatcher", "reviewer"), note="林山寨街道 one-person centre"),
    DemoUser("kf-operator", "4102", ("operator",), note="开封 operator (another city)"),
]


# What the demo people are called (their given_name: the console shows it, and each step they take records it).
PERSON_NAMES = {
    "henan-supervisor": "周建国", "henan-admin": "吴海燕", "henan-auditor": "郑立新", "henan-operator": "王芳",
    "henan-dispatcher": "李强", "henan-reviewer": "刘洋", "henan-caller": "陈静",
    "zz-operator": "张敏", "zz-dispatcher": "杨帆", "zz-reviewer": "赵磊", "zz-caller": "黄丽",
    "zz-supervisor": "周涛", "zz-admin": "徐斌", "zz-water": "孙伟", "zz-housing": "马超",
    "zy-operator": "朱琳", "zy-dispatcher": "胡军", "zy-reviewer": "郭鹏", "zy-caller": "何雪",
    "zy-supervisor": "高峰", "zy-admin": "林晨", "zy-housing": "罗刚",
    "lj-operator": "梁静", "lj-dispatcher": "宋杰", "lj-reviewer": "谢婷", "lj-caller": "韩梅",
    "lj-supervisor": "唐亮", "lj-admin": "冯宇", "lj-urban": "许刚", "lj-street": "邓华",
    "kf-operator": "曹颖",
}


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
                                            name=PERSON_NAMES.get(demo.username) or demo.note.split(" ")[0]))
            result.append((demo, "created"))
        except (UserError, KeycloakError, SQLAlchemyError) as exc:  # a tenant outside the demo: say so, go on
            result.append((demo, f"skipped: {exc}"))
    return result
