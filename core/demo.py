"""The demo province's handling units: a centre and the usual departments for each demo city and district."""

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


def seed_units(engine: Engine, tenants: list[tuple[str, str, str]]) -> int:
    """Give each (code, name, level) city or district tenant its centre and departments; idempotent."""
    added = 0
    for code, name, level in tenants:
        if level not in (Level.city, Level.district):
            continue
        with engine.begin() as conn:
            for unit_code, unit_name, kind in DEPARTMENTS:
                result = conn.execute(
                    text(f'INSERT INTO "t_{code}".units (code, name, kind) VALUES (:c, :n, :k) '
                         "ON CONFLICT (code) DO NOTHING"),
                    {"c": unit_code, "n": f"{name}{unit_name}", "k": kind})
                added += result.rowcount or 0
    return added
