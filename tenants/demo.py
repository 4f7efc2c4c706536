"""The demo province's handling units: a centre and the usual departments for each demo city and district, and
the offices of each demo town."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tenants.codes import Level

DEPARTMENTS = [
    ("centre", "12345热线服务中心", "centre"), ("housing", "住房和城乡建设局", "department"),
    ("urban", "城市管理局", "department"), ("water", "水利局", "department"),
    ("transport", "交通运输局", "department"), ("market", "市场监督管理局", "department"),
    ("hrss", "人力资源和社会保障局", "department"), ("education", "教育局", "department"),
    ("health", "卫生健康委员会", "department"), ("environment", "生态环境局", "department"),
    ("resources", "自然资源和规划局", "department"), ("civil", "民政局", "department"),
    ("power", "供电公司", "enterprise"), ("gas", "燃气公司", "enterprise"),
]


# A town or street office's own offices (街道办事处内设机构) and its communities' work station.
TOWN_UNITS = [
    ("centre", "综合便民服务中心", "centre"), ("urban", "城市管理办公室", "department"),
    ("safety", "平安建设办公室", "department"), ("social", "社会事务办公室", "department"),
    ("economy", "经济发展办公室", "department"), ("community", "社区工作站", "department"),
]


# The towns whose offices the demo loads: those of 中原区, where the demo's town people work. Every unit is also a
# Keycloak group (sso.groups): the offices of all 208 towns of 郑州 would add some 1,250 groups to the first `up`.
TOWN_UNITS_UNDER = ("410102",)


def seed_units(engine: Engine, tenants: list[tuple[str, str, str]]) -> int:
    """Give each (code, name, level) city or district tenant its centre and departments, and the towns of
    TOWN_UNITS_UNDER their offices; idempotent."""
    added = 0
    for code, name, level in tenants:
        town = level == Level.town and code.startswith(TOWN_UNITS_UNDER)
        units = DEPARTMENTS if level in (Level.city, Level.district) else TOWN_UNITS if town else []
        if not units:
            continue
        with engine.begin() as conn:
            for unit_code, unit_name, kind in units:
                result = conn.execute(
                    text(f'INSERT INTO "t_{code}".units (code, name, kind) VALUES (:c, :n, :k) '
                         "ON CONFLICT (code) DO NOTHING"),
                    {"c": unit_code, "n": f"{name}{unit_name}", "k": kind})
                added += result.rowcount or 0
    return added
