"""The permission matrix: which role may do what, at its own tenant ("self") or below it too ("down").

These rows are the Casbin policies. They are derived from the roles (written once here, never per
tenant): the tenant tree enters only through the request's paths. `hotline iam sync` stores them
in ``public.casbin_rule``; every API process reloads them when their version changes.
"""

from __future__ import annotations

from enum import StrEnum

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


# Who may give which role (授权矩阵, README "Who may grant what"): separation of duties. A centre's admin staffs its
# desk — it gives the desk's roles to people of its subtree without doing those jobs itself; power over oversight
# (督办 supervisor, 审计 auditor) and administration itself (admin) is handed on only by someone who holds it.
DESK_ROLES = frozenset({Role.operator, Role.dispatcher, Role.reviewer, Role.caller, Role.handler,
                        Role.department_handler})
HELD_ONLY = frozenset({Role.supervisor, Role.auditor, Role.admin})


class GrantRefusal(StrEnum):
    """Why a role may not be given (or taken) by this person: a stable word the API and the console share."""

    not_admin = "not_admin"  # only an admin gives roles (and only to people of its subtree: the guard's "down")
    not_held = "not_held"  # supervisor, auditor, admin: only by an admin who holds that role itself
    own_roles = "own_roles"  # nobody changes their own roles (nor gives themselves more)


def grantable(held: frozenset[Role]) -> frozenset[Role]:
    """The roles a person holding ``held`` may give others of its subtree (``user write`` is the admin's, "down"):
    an admin gives every desk role, and supervisor, auditor or admin only if it holds that role itself. Whoever
    holds no admin gives nothing. Provisioning (`hotline users add`, the demo) is the province's, unrestricted."""
    if Role.admin not in held:
        return frozenset()
    return DESK_ROLES | (frozenset(held) & HELD_ONLY)


def grant_refusal(held: frozenset[Role], role: Role, *, own: bool = False) -> GrantRefusal | None:
    """Why ``role`` may not be given by someone holding ``held`` (None: it may). ``own``: to the asker itself,
    which nobody may do, whatever it holds."""
    if own:
        return GrantRefusal.own_roles
    if Role.admin not in held:
        return GrantRefusal.not_admin
    return None if role in grantable(held) else GrantRefusal.not_held


def refused_changes(held: frozenset[Role], old: frozenset[Role], new: frozenset[Role], *,
                    own: bool = False) -> dict[Role, GrantRefusal]:
    """The roles of a change from ``old`` to ``new`` that this person may not make, with why. Giving follows
    ``grantable``; taking a role away needs only the admin's reach (the guard), as disabling does, except from
    oneself: nobody changes their own roles, neither more nor fewer."""
    given, taken = new - old, old - new
    refused: dict[Role, GrantRefusal] = {}
    for role in sorted(given | taken):
        why = GrantRefusal.own_roles if own else grant_refusal(held, role) if role in given else (
            None if Role.admin in held else GrantRefusal.not_admin)
        if why is not None:
            refused[role] = why
    return refused


def policy_rows() -> list[tuple[str, str, str, str]]:
    """Casbin ``p`` rows: (role, scope, resource, action)."""
    return [(role.value, scope, obj, act) for role, grants in MATRIX.items() for scope, obj, act in grants]
