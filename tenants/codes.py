"""GB/T 2260 division codes as tenant ids: validation, level, parent and path.

A code's length gives its level — province (省) 2 digits, city (市) 4, district/county (区县) 6,
town/street (乡镇街道) 9 — and its parent is its prefix: 410102001 → 410102 → 4101 → 41.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Level(StrEnum):
    province = "province"
    city = "city"
    district = "district"
    town = "town"


LEVEL_BY_LENGTH = {2: Level.province, 4: Level.city, 6: Level.district, 9: Level.town}
PARENT_LENGTH = {4: 2, 6: 4, 9: 6}
_CODE = re.compile(r"[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3})?)?)?")
# What validate_code accepts, as the OpenAPI document states it (a 400 otherwise).
CODE_PATTERN = r"^[1-9][0-9](?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3})?)?)?$"


class InvalidTenantCode(ValueError):
    """Not a GB/T 2260 code of a province, city, district or town."""


def validate_code(code: str) -> str:
    """Return the code if it is a well-formed GB/T 2260 code, else raise InvalidTenantCode."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidTenantCode(
            f"{code!r} is not a GB/T 2260 division code: expected 2 (province), 4 (city), "
            "6 (district/county) or 9 (town/street) digits"
        )
    # Lower segments may be zeros (441900: 东莞, a city without districts); a province may not.
    if code.startswith("0"):
        raise InvalidTenantCode(f"{code!r} is not a GB/T 2260 division code: no province code starts with 0")
    return code


def is_valid_code(code: str) -> bool:
    try:
        validate_code(code)
    except InvalidTenantCode:
        return False
    return True


def level_of(code: str) -> Level:
    return LEVEL_BY_LENGTH[len(validate_code(code))]


def parent_of(code: str) -> str | None:
    """The parent's code, or None for a province."""
    parent_len = PARENT_LENGTH.get(len(validate_code(code)))
    return code[:parent_len] if parent_len else None


def lineage(code: str) -> list[str]:
    """Codes from the province down to this one: 410102001 → [41, 4101, 410102, 410102001]."""
    validate_code(code)
    return [code[:n] for n in (2, 4, 6, 9) if n <= len(code)]


def path_of(code: str) -> str:
    """The tenant path, e.g. ``41/4101/410102/410102001``."""
    return "/".join(lineage(code))


def is_descendant(code: str, ancestor: str) -> bool:
    """True when ``code`` lies strictly below ``ancestor`` in the tree."""
    return len(code) > len(ancestor) and code.startswith(ancestor)
