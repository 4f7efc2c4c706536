"""Who acts: a person of a tenant (and maybe of one of its units) with roles.

Roles (角色) of the platform:
- ``operator`` 话务员: registers orders, answers, redirects or declines at intake, merges duplicates;
- ``dispatcher`` 派单员: dispatches, decides extensions, takes back returned or escalated orders;
- ``handler`` 承办人: a unit's staff: sign, send back, ask for an extension, reply, escalate;
- ``reviewer`` 审核员: approves or rejects replies, closes orders;
- ``caller`` 回访员: follows up with the citizen (回访) and records satisfaction;
- ``supervisor`` 督办员: urges (督办) and reopens orders;
- ``admin`` 管理员: the tenant's reference data (units, categories, time limits, calendar).

The service layer decides with an ``Actor``; the API builds it in ``core.auth``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    operator = "operator"
    dispatcher = "dispatcher"
    handler = "handler"
    reviewer = "reviewer"
    caller = "caller"
    supervisor = "supervisor"
    admin = "admin"


@dataclass(frozen=True)
class Actor:
    user: str
    tenant: str
    roles: frozenset[Role]
    unit_id: int | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))
