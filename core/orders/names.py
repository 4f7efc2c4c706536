"""The names a person reads on an order: the levels (tenants) and the units that worked it, at every level.

An order's records name tenants by code (where it came from, the levels it went to, who acted) and units by id,
and each level numbers its own units. A level above may not list a lower level's units (``GET …/units`` is
refused there), yet its people must read who did the work: the names of the units on THIS order's chain, and
nothing more of them. So the ids come only from the order's own records — its assignments, its events and what
they carried, and the records the levels below keep of it (``queries.records_below``) — and each level's schema
is asked for those ids' names alone.

Resolved when the order is read, not carried up in the federation messages: the levels share one database (the
cross-level timeline is a read of their schemas too), a unit renamed reads renamed everywhere at once, and no
message kind or hashed event had to change for it. A person's name is the exception: no table of the platform
holds it (Keycloak does), so each event records its actor's name when the step is taken (``actor_name``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tenants.codes import is_valid_code

LEVEL_ACTOR = "tenant:"  # the actor of a step another level's message made here: ``tenant:4101``
# What an event's payload names: a unit of the event's level, or another level.
_UNIT_KEYS = ("unit_id",)
_UNITS_KEYS = ("co_handlers",)
_TENANT_KEYS = ("by_tenant", "from_tenant", "from", "origin_tenant")
_TENANTS_KEYS = ("co_tenants",)


@dataclass
class References:
    """The tenant codes and the (tenant, unit id) pairs an order's records name."""

    tenants: set[str] = field(default_factory=set)
    units: set[tuple[str, int]] = field(default_factory=set)

    def tenant(self, code: object) -> None:
        if isinstance(code, str) and is_valid_code(code):
            self.tenants.add(code)

    def unit(self, tenant: str | None, unit_id: object) -> None:
        if tenant and isinstance(unit_id, int) and not isinstance(unit_id, bool) and is_valid_code(tenant):
            self.units.add((tenant, unit_id))

    def event(self, tenant: str, event: Mapping[str, Any]) -> None:
        """An event of ``tenant``'s record: who acted (person or level), and the units and levels it carried."""
        self.tenant(tenant)
        actor, actor_tenant = str(event.get("actor") or ""), event.get("actor_tenant")
        self.tenant(actor_tenant)
        if actor.startswith(LEVEL_ACTOR):
            self.tenant(actor[len(LEVEL_ACTOR):])
        self.unit(actor_tenant if isinstance(actor_tenant, str) else None, event.get("actor_unit_id"))
        payload = event.get("payload") or {}
        if not isinstance(payload, Mapping):
            return
        to = payload.get("to")
        if isinstance(to, int):
            self.unit(tenant, to)
        elif event.get("action") != "redirect":  # a redirect's ``to`` is 110, 119 …, not a level
            self.tenant(to)
        for key in _UNIT_KEYS:
            self.unit(tenant, payload.get(key))
        for key in _UNITS_KEYS:
            for unit_id in payload.get(key) or ():
                self.unit(tenant, unit_id)
        for key in _TENANT_KEYS:
            self.tenant(payload.get(key))
        for key in _TENANTS_KEYS:
            for code in payload.get(key) or ():
                self.tenant(code)


@dataclass
class Names:
    """The names found for some references: tenants by code, units by (tenant, id)."""

    tenants: dict[str, str] = field(default_factory=dict)
    units: dict[tuple[str, int], str] = field(default_factory=dict)
    # People by username, as the order's own events recorded them (whoever took a step on it, at any level).
    people: dict[str, str] = field(default_factory=dict)

    def remember(self, events: Iterable[Mapping[str, Any]]) -> None:
        """The names the events recorded for their actors (a person's name travels with nothing else)."""
        for event in events:
            if event.get("actor_name") and not str(event.get("actor") or "").startswith(LEVEL_ACTOR):
                self.people[str(event["actor"])] = str(event["actor_name"])

    def person(self, username: str | None) -> str | None:
        return self.people.get(username) if username else None

    def tenant(self, code: str | None) -> str | None:
        return self.tenants.get(code) if code else None

    def unit(self, tenant: str | None, unit_id: int | None) -> str | None:
        return self.units.get((tenant, unit_id)) if tenant and unit_id is not None else None

    def actor(self, actor: str, stored: str | None) -> str | None:
        """Who took a step, as a person reads it: the name the event recorded, or the sending level's name for a
        step another level's message made here; None when neither is known (an event older than the names:
        the username is shown)."""
        if stored:
            return stored
        if actor.startswith(LEVEL_ACTOR):
            return self.tenant(actor[len(LEVEL_ACTOR):])
        return None

    def unit_map(self) -> dict[str, str]:
        """The units by ``"<tenant>:<id>"`` (a level numbers its own units), as the API carries them."""
        return {f"{tenant}:{unit_id}": name for (tenant, unit_id), name in sorted(self.units.items())}


async def resolve(session: AsyncSession, refs: References) -> Names:
    """The names of the referenced tenants (the registry) and units (each level's own table, only the ids
    referenced). A code or id that names nothing is left out: the reader shows what it has."""
    names = Names()
    codes = sorted(refs.tenants | {tenant for tenant, _ in refs.units})
    if not codes:
        return names
    rows = (await session.execute(text("SELECT code, name, schema_name FROM public.tenants WHERE code = ANY(:c)"),
                                  {"c": codes})).all()
    schemas = {}
    for code, name, schema in rows:
        names.tenants[code] = name
        schemas[code] = schema
    by_tenant: dict[str, list[int]] = {}
    for tenant, unit_id in refs.units:
        if tenant in schemas:
            by_tenant.setdefault(tenant, []).append(unit_id)
    for tenant, ids in sorted(by_tenant.items()):
        # The schema's name comes from the registry row just read, never from the request.
        for unit_id, name in (await session.execute(
                text(f'SELECT id, name FROM "{schemas[tenant]}".units WHERE id = ANY(:ids)'),
                {"ids": sorted(set(ids))})).all():
            names.units[(tenant, unit_id)] = name
    return names


def of_record(refs: References, tenant: str, order: Any, assignments: Sequence[Any],
              events: Iterable[Mapping[str, Any]]) -> None:
    """What one level's record names: its origin and division, who has it, and its events."""
    refs.tenant(tenant)
    refs.tenant(order.origin_tenant)
    refs.tenant(order.assigned_tenant)
    refs.tenant(order.division_code)
    refs.unit(tenant, order.lead_unit_id)
    refs.tenant((order.pending_extension or {}).get("from_tenant"))
    for assignment in assignments:
        refs.unit(tenant, assignment.unit_id)
        refs.tenant(assignment.tenant_code)
    for event in events:
        refs.event(tenant, event)
