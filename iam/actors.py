"""Who acts: a person of a tenant (and maybe of one of its units) with roles.

Roles (角色) of the platform:
- ``operator`` 话务员: registers orders, answers, redirects or declines at intake, merges duplicates;
- ``dispatcher`` 派单员: dispatches, decides extensions, takes back returned or escalated orders;
- ``handler`` 承办人: a unit's staff: sign, send back, ask for an extension, reply, escalate;
- ``reviewer`` 审核员: approves or rejects replies, closes orders;
- ``caller`` 回访员: follows up with the citizen (回访) and records satisfaction;
- ``supervisor`` 督办员: urges (督办) and reopens orders;
- ``department_handler`` 部门承办人: a department's staff signed in through SSO: acts as a handler;
- ``auditor`` 审计员: reads (down the tree) and checks the event log;
- ``admin`` 管理员: the tenant's reference data (units, categories, time limits, calendar) and users.

The service layer decides with an ``Actor``; the API builds it in ``sso.access``.
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
    department_handler = "department_handler"
    auditor = "auditor"
    admin = "admin"


# A unit's staff: sees only what was dispatched to its unit.
UNIT_ROLES = frozenset({Role.handler, Role.department_handler})


@dataclass(frozen=True)
class Actor:
    user: str
    tenant: str
    roles: frozenset[Role]
    unit_id: int | None = None
    home: str = ""  # the tenant's path, e.g. 41/4101/410102
    subject: str = ""  # the identity provider's id of the person
    name: str = ""  # the person's name as people call them (the token's given_name), for records people read

    def has(self, *roles: Role) -> bool:
        wanted = set(roles)
        if Role.handler in wanted:
            wanted.add(Role.department_handler)
        return bool(self.roles.intersection(wanted))

    @property
    def unit_only(self) -> bool:
        """True when every role the actor has is a unit's: its reads are limited to its unit's orders."""
        return bool(self.roles) and self.roles <= UNIT_ROLES
