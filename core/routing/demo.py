"""The demo province's 派单目录: routing rules for its common categories at every level that has units, so the
dispatcher's suggestion works out of the box from a city down to a town's offices.

At a city or a district (its departments: ``tenants.demo.DEPARTMENTS``):
- by category (条线): each major category to the department most of its minors name as their default unit
  (``public.categories.default_unit``: housing → 住房和城乡建设局), and a minor whose default is another department
  to that one (建筑渣土运输 → 城市管理局);
- by place (属地): the grassroots categories (``LOCAL``: city management, housing estates and property, civil
  affairs) from a district's or a town's area to that level below, when it has units of its own to handle them.
  A division prefix beats a category prefix (``core.routing.service.suggest``), so the place decides first.

At a town (its offices: ``tenants.demo.TOWN_UNITS``): each common major category to the office that handles it.

Idempotent: a rule for a category and division prefix that is there already is left as it is (an admin may
have changed it).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from tenants.codes import Level, parent_of

# 属地: handled where the citizen lives — 城市管理, 住房保障与房地产 (物业、小区), 民政.
LOCAL = ("08", "09", "12")

# A town's offices by major category (街道办事处内设机构).
TOWN_OFFICES = {
    "01": "urban", "07": "urban", "09": "urban", "13": "urban",  # 城乡建设, 生态环境, 城市管理, 水电气暖
    "08": "community",  # 住房保障与房地产: 小区、物业
    "04": "social", "05": "social", "06": "social", "12": "social", "21": "social", "24": "social",
    "10": "safety", "23": "safety", "25": "safety",  # 公共安全, 应急管理, 司法
    "03": "economy", "11": "economy", "17": "economy", "22": "economy",  # 市场监管, 农业农村, 商务, 营商环境
}


def _units(conn: Connection, code: str) -> dict[str, int]:
    """The tenant's active units by code (its schema is ``t_<code>``: the code is the registry's)."""
    return dict(conn.execute(text(f'SELECT code, id FROM "t_{code}".units WHERE active')).all())


def _department_rules(categories: list[tuple[str, str | None, str | None]], units: dict[str, int]
                      ) -> list[tuple[str, int]]:
    """(category prefix, unit id): each major to its minors' usual department when this level has it, and every
    minor whose own department differs (or whose major's usual one this level lacks) to its own, when it has it.
    A major whose usual department this level lacks gets no rule: a guess at another department would misroute."""
    minors: dict[str, list[str]] = {}
    for _code, parent, default_unit in categories:
        if parent and default_unit:
            minors.setdefault(parent, []).append(default_unit)
    usual = {major: Counter(found).most_common(1)[0][0] for major, found in minors.items()}
    rules: list[tuple[str, int]] = [(code, units[usual[code]]) for code, parent, _ in categories
                                    if parent is None and usual.get(code) in units]
    for code, parent, default_unit in categories:
        if parent and default_unit in units and default_unit != usual.get(parent):
            rules.append((code, units[default_unit]))
    return rules


def _add(conn: Connection, code: str, category: str, division: str, *, unit: int | None = None,
         tenant: str | None = None, note: str) -> int:
    return conn.execute(text(
        f'INSERT INTO "t_{code}".routing_rules (category, division_code, to_unit_id, to_tenant, note) '
        "VALUES (:c, :d, :u, :t, :n) ON CONFLICT (category, division_code) DO NOTHING"),
        {"c": category, "d": division, "u": unit, "t": tenant, "n": note}).rowcount or 0


def seed_routing_rules(engine: Engine, tenants: list[tuple[str, str, str]]) -> int:
    """The demo's routing rules for each (code, name, level) tenant that has units; returns how many were added."""
    added = 0
    with engine.connect() as conn:
        categories = [(c, p, u) for c, p, u in conn.execute(text(
            "SELECT code, parent_code, default_unit FROM public.categories WHERE owner_tenant IS NULL AND active "
            "ORDER BY code")).all()]
        units = {code: _units(conn, code) for code, _, _ in tenants}
    staffed = {code for code, found in units.items() if found}
    names = {code: name for code, name, _ in tenants}
    for code, _name, level in tenants:
        if code not in staffed:
            continue
        with engine.begin() as conn:
            if level == Level.town:
                for major, office in TOWN_OFFICES.items():
                    if office in units[code]:
                        added += _add(conn, code, major, "", unit=units[code][office], note="演示：本街道内设机构")
                continue
            for category, unit_id in _department_rules(categories, units[code]):
                added += _add(conn, code, category, "", unit=unit_id, note="演示：按条线派至职能部门")
            below = sorted(c for c in staffed if parent_of(c) == code)
            for child in below:
                for major in LOCAL:
                    added += _add(conn, code, major, child, tenant=child,
                                  note=f"演示：属地管理，派至{names.get(child, child)}")
    return added
