"""The limits of the citizen's lookup (进度查询限流), counted across every API process.

- Per client address (an IPv6 client by its /64): ``public_lookups_per_minute`` lookups a minute.
- Per query code, only wrong phones count; a right phone is never refused for what others did. One address
  may give ``public_wrong_phones_free`` wrong phones for a code (typos), then its lookups of that code wait
  30 s, 60 s, 120 s … (at most an hour) after each further wrong one. Once a code has had
  ``public_wrong_phones_per_code_hour`` wrong phones in the hour from anyone (guessing from many addresses),
  no address gets a free one for it: each wrong phone makes that address wait.

Public web intake (``core.orders.web_intake``) counts on the same counters: ``public_requests_per_hour``
requests per client address an hour, every attempt counted (``admit_request``).

Every refusal is a 429 with ``Retry-After``.
"""

from __future__ import annotations

import math

from infra.client_address import rate_key
from infra.error_codes import ErrorCode
from infra.errors import ApiError
from infra.ratelimit import SharedCounters
from infra.settings import Settings

MINUTE, HOUR, DAY = 60, 3600, 86400
FIRST_WAIT_S = 30.0
MAX_WAIT_S = 3600.0


def wait_after(wrong: int, free: int) -> float:
    """How long an address waits after its ``wrong``-th wrong phone for a code."""
    if wrong <= free:
        return 0.0
    return min(FIRST_WAIT_S * 2 ** (wrong - free - 1), MAX_WAIT_S)


class LookupLimits:
    def __init__(self, counters: SharedCounters, settings: Settings) -> None:
        self.counters = counters
        self.per_minute = settings.public_lookups_per_minute
        self.free = settings.public_wrong_phones_free
        self.per_code_hour = settings.public_wrong_phones_per_code_hour
        self.requests_per_hour = settings.public_requests_per_hour

    async def admit(self, client: str, code: str) -> None:
        """Count this lookup; 429 if this address must wait (for any code, or for this one)."""
        who = rate_key(client)
        mine, code_wrong, my_wrong = await self.counters.touch(
            hit=[(f"lookup:{who}", MINUTE)], read=[(f"wrong:{code}", HOUR), (f"wrong:{code}:{who}", DAY)])
        waits = [mine.ends_in_s] if mine.hits > self.per_minute else []
        if my_wrong.hits and my_wrong.last_hit_s_ago is not None:
            free = 0 if code_wrong.hits >= self.per_code_hour else self.free
            waits.append(wait_after(my_wrong.hits, free) - my_wrong.last_hit_s_ago)
        wait = max(waits, default=0.0)
        if wait > 0:
            seconds = max(math.ceil(wait), 1)
            raise ApiError(429, ErrorCode.too_many_requests,
                           f"too many lookups from this address; try again in {math.ceil(wait)} seconds",
                           headers={"Retry-After": str(seconds)}, params={"retry_after": seconds})

    async def wrong_phone(self, client: str, code: str) -> None:
        """Count a lookup of ``code`` that did not find it with the phone given."""
        who = rate_key(client)
        await self.counters.touch(hit=[(f"wrong:{code}", HOUR), (f"wrong:{code}:{who}", DAY)])

    async def admit_request(self, client: str) -> None:
        """Count one web request (网站受理) from this address; 429 past the hourly limit."""
        (mine,) = await self.counters.touch(hit=[(f"intake:{rate_key(client)}", HOUR)])
        if mine.hits > self.requests_per_hour:
            wait = max(math.ceil(mine.ends_in_s), 1)
            raise ApiError(429, ErrorCode.too_many_requests,
                           f"too many requests from this address; try again in {wait} seconds",
                           headers={"Retry-After": str(wait)}, params={"retry_after": wait})
