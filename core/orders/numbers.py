"""The numbers of a request: a record's number at its level, and the citizen's query code."""

from __future__ import annotations

import secrets
from datetime import datetime

from core.sla.calendar import CST

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


def record_number(tenant_code: str, at: datetime, order_id: int) -> str:
    """A record's number at its level: the tenant, the day (China Standard Time), the id: 4101-20261202-000042."""
    return f"{tenant_code}-{at.astimezone(CST):%Y%m%d}-{order_id:06d}"


def new_query_code(tenant_code: str) -> str:
    """The citizen's query code: the tenant and 8 random characters, e.g. 4101-7KQ9M2XD."""
    # One read of the system's randomness, not one per character; 256 is a multiple of the alphabet's 32
    # letters, so each letter stays equally likely.
    return f"{tenant_code}-" + "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in secrets.token_bytes(8))
