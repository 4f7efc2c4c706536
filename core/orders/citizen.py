"""Citizens' identifiers: phone numbers, resident ID numbers (GB 11643), and masking them."""

from __future__ import annotations

import re
from datetime import date

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize_phone(raw: str) -> str:
    """A mobile (13812345678) or landline (0371-12345678) number, or ValueError saying what is wrong."""
    phone = re.sub(r"[\s()]", "", raw)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if _MOBILE.fullmatch(phone) or _LANDLINE.fullmatch(phone):
        return phone
    raise ValueError("not a mainland mobile (11 digits starting 13–19) or landline (0 + area code + number)")


def validate_id_number(raw: str) -> str:
    """An 18-character resident ID with a valid birth date and check digit, or ValueError."""
    number = raw.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValueError("an ID number has 17 digits and a check digit (0-9 or X)")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError("the birth date inside the ID number is not a real date") from None
    check = _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11]
    if number[17] != check:
        raise ValueError("the check digit of the ID number is wrong")
    return number


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)
