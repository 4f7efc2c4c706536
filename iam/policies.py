"""The permission matrix: which role may do what, at its own tenant ("self") or below it too ("down").

These rows are the Casbin policies. They are derived from the roles (written once here, never per
tenant): the tenant tree enters only through the request's paths. `hotline iam sync` stores them
in ``public.casbin_rule``; every API process reloads them when their version changes.
"""

from __future__ import annotations

from iam.actors import Role

Grant = tuple[str, str]  # (resource, action)

READ_REFERENCE: list[Grant] = [("tenant", "read"), ("unit", "read"), ("category", "read"),
                               ("time_limit", "read"), ("calendar", "read")]
ORDER_DESK: list[Grant] = [("order", "create"), ("order", "read"), ("order", "act"), ("order", "export")]
HANDLING: list[Grant] = [("order", "read"), ("order", "act")]


def _at(scope: str, grants: list[Grant]) -> list[tuple[str, str, str]]:
    return [(scope, obj, act) for obj, act in grants]


# role → [(scope, resource, action)]
MATRIX: dict[Role, list[tuple[str, str, str]]] = {
    Role.operator: _at("self", [*READ_REFERENCE, *ORDER_DESK]),
    Role.dispatcher: _at("self", [*READ_REFERENCE, *ORDER_DESK, ("assessment", "read")])
    + _at("down", [("tenant", "read"), ("unit", "read"), ("order", "read")]),
    Role.reviewer: _at("self", [*READ_REFERENCE, *HANDLING, ("order", "export")]),
    Role.caller: _at("self", [*READ_REFERENCE, *HANDLING]),
    Role.handler: _at("self", [*READ_REFERENCE, *HANDLING]),
    Role.department_handler: _at("self", [*READ_REFERENCE, *HANDLING]),
    # The 督办 desk (supervision): the supervisor reads and urges from it, the auditor reads it.
    Role.supervisor: _at("down", [*READ_REFERENCE, *HANDLING, ("order", "export"), ("assessment", "read"),
                                  ("supervision", "read"), ("supervision", "act")]),
    Role.auditor: _at("down", [*READ_REFERENCE, ("order", "read"), ("order", "export"), ("audit", "read"),
                               ("assessment", "read"), ("change", "read"), ("supervision", "read")]),
    Role.admin: _at("self", [("category", "write"), ("time_limit", "write"), ("calendar", "write"),
                             ("assessment", "write")])
    # The units of its whole subtree: a city admin sets up a new town's offices.
    + _at("down", [*READ_REFERENCE, ("unit", "write"), ("user", "read"), ("user", "write"), ("assessment", "read"),
                   ("change", "read")]),
}


def grantable(held: frozenset[Role]) -> frozenset[Role]:
    """The roles a person may give others (to a user of its subtree: ``user write`` is the admin's, "down"): an
    admin gives only roles it holds itself, so nobody it creates reads what it may not read with that role
    (README, "Who may grant what"). Provisioning (`hotline users add`, the demo) is the province's, unrestricted."""
    return frozenset(held) if Role.admin in held else frozenset()


def policy_rows() -> list[tuple[str, str, str, str]]:
    """Casbin ``p`` rows: (role, scope, resource, action)."""
    return [(role.value, scope, obj, act) for role, grants in MATRIX.items() for scope, obj, act in grants]
