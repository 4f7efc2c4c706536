"""A unit's Keycloak group (``/41/4101/410102/unit-<id>``), written at once when the unit is created, renamed,
deactivated or made active again through the API — not at the next `hotline sso sync`.

How the database and Keycloak stay one (the unit's row commits only after its group is right):
- the unit's change, its record in the history (``infra.change_log``) and the group's record
  (``public.sso_groups``, what `sso sync` compares with) are one transaction, and it is left open while Keycloak
  is asked; Keycloak refusing or not answering rolls it all back and the API answers 503
  ``identity_provider_unavailable``: no unit without its group, no group record without the group;
- if the commit itself fails after Keycloak did the step, the step is undone in Keycloak (the new group deleted,
  the old name put back, a removed group made again);
- only a process dying between Keycloak's answer and the commit can leave Keycloak ahead: a group ``unit-<id>``
  whose id no unit will ever have (the id sequence never gives it again) or a group still bearing the new name.
  Neither gives anyone access (tokens carry the unit as an attribute); `hotline sso sync` stays the repair for
  everything the records say, and a later rename or deactivation of the unit finds its group by path.

The API's service account does this with the one realm-management role it holds, ``manage-users``: Keycloak puts
writing groups under it (no narrower role writes groups; ``query-groups`` only reads). Groups are found by path,
so a group made by `sso sync`, by an earlier step or by hand is adopted, never duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sso.groups import GroupSpec, group_representation
from sso.users import IdentityProviderUnavailable

Undo = Callable[[], None]


def unit_key(tenant_path: str, unit_id: int) -> str:
    return f"{tenant_path}#unit-{unit_id}"


def _found(kc: KeycloakAdmin, spec: GroupSpec) -> dict | None:
    """The group at the spec's path, or None."""
    try:
        return kc.get_group_by_path(spec.kc_path)
    except KeycloakError as exc:
        if exc.response_code == 404:
            return None
        raise


def _labelled(kc: KeycloakAdmin, group: dict, label: str) -> str | None:
    """Give the group the Chinese name ``label``; returns the name it had if it differed."""
    old = ((group.get("attributes") or {}).get("name") or [None])[0]
    if old != label:
        kc.update_group(group["id"], {**group, "attributes": {**(group.get("attributes") or {}), "name": [label]}})
    return old if old != label else None


def ensure_groups(kc: KeycloakAdmin, chain: list[GroupSpec]) -> tuple[list[tuple[GroupSpec, str]], list[str]]:
    """Every group of ``chain`` (the root first, the unit's last) found by path or made under its parent, the
    last one bearing its label. Returns the (spec, id) of each and the ids made here (what an undo deletes)."""
    made: list[str] = []
    found: list[tuple[GroupSpec, str]] = []
    # Usually the tenant's group is there (`sso sync` made it): one read, one write. Otherwise down from the root.
    start, parent_id = 0, None
    if len(chain) > 1 and (tenant := _found(kc, chain[-2])) is not None:
        found.append((chain[-2], tenant["id"]))
        start, parent_id = len(chain) - 1, tenant["id"]
    for spec in chain[start:]:
        group_id = kc.create_group(group_representation(spec), parent=parent_id, skip_exists=True)
        if group_id:
            made.append(group_id)
        else:  # there already (`sso sync`, an earlier step or a person made it): adopt it, the unit's with its name
            group = kc.get_group_by_path(spec.kc_path)
            group_id = group["id"]
            if spec is chain[-1]:
                _labelled(kc, group, spec.label)
        found.append((spec, group_id))
        parent_id = group_id
    return found, made


class UnitGroups:
    """The unit groups of a realm, written by the API at once (``connect``: the API's service account)."""

    def __init__(self, connect: Callable[[], KeycloakAdmin]) -> None:
        self._connect = connect

    async def _chain(self, session: AsyncSession, tenant_path: str, unit_id: int, label: str) -> list[GroupSpec]:
        """The groups from the province down to the unit's: the tenants' from the registry."""
        codes = tenant_path.split("/")
        rows = (await session.execute(text(
            "SELECT code, name, level, path FROM public.tenants WHERE code = ANY(:c)"), {"c": codes})).all()
        by_code = {row.code: row for row in rows}
        chain = []
        for code in codes:
            row = by_code[code]
            chain.append(GroupSpec(row.path, row.path.rsplit("/", 1)[0] if "/" in row.path else None, row.code,
                                   row.name, row.level))
        chain.append(GroupSpec(unit_key(tenant_path, unit_id), tenant_path, f"unit-{unit_id}", label, "unit"))
        return chain

    async def _keycloak(self, work: Callable[[KeycloakAdmin], Any]) -> Any:
        def run() -> Any:
            return work(self._connect())

        try:
            return await asyncio.to_thread(run)
        except KeycloakError as exc:
            raise IdentityProviderUnavailable(
                f"Keycloak did not write the unit's group (status {exc.response_code}): nothing was changed, "
                "try again") from None

    async def created(self, session: AsyncSession, tenant_path: str, unit_id: int, label: str) -> Undo:
        """Make the unit's group (and any tenant group above it Keycloak lacks) and record them in ``session``'s
        transaction. Returns what undoes it in Keycloak, should the transaction not commit."""
        chain = await self._chain(session, tenant_path, unit_id, label)
        found, made = await self._keycloak(lambda kc: ensure_groups(kc, chain))
        await _record(session, found)

        def undo() -> None:
            kc = self._connect()
            for group_id in reversed(made):
                with contextlib.suppress(KeycloakError):
                    kc.delete_group(group_id)

        return undo

    async def renamed(self, session: AsyncSession, tenant_path: str, unit_id: int, label: str) -> Undo:
        """Give the unit's group its new name (making it if it is missing) and record it."""
        chain = await self._chain(session, tenant_path, unit_id, label)

        def rename(kc: KeycloakAdmin) -> tuple[list[tuple[GroupSpec, str]], str | None, list[str]]:
            group = _found(kc, chain[-1])
            if group is None:
                found, made = ensure_groups(kc, chain)
                return found, None, made
            return [(chain[-1], group["id"])], _labelled(kc, group, label), []

        found, old, made = await self._keycloak(rename)
        await _record(session, found)

        def undo() -> None:
            kc = self._connect()
            with contextlib.suppress(KeycloakError):
                for group_id in reversed(made):
                    kc.delete_group(group_id)
                if old is not None:
                    _labelled(kc, kc.get_group(found[-1][1]), old)

        return undo

    async def removed(self, session: AsyncSession, tenant_path: str, unit_id: int, label: str) -> Undo:
        """Delete the unit's group (there or not) and its record."""
        chain = await self._chain(session, tenant_path, unit_id, label)

        def remove(kc: KeycloakAdmin) -> bool:
            group = _found(kc, chain[-1])
            if group is None:
                return False
            kc.delete_group(group["id"])
            return True

        existed = await self._keycloak(remove)
        await session.execute(text("DELETE FROM public.sso_groups WHERE key = :k"), {"k": chain[-1].key})

        def undo() -> None:
            if existed:
                with contextlib.suppress(KeycloakError):
                    ensure_groups(self._connect(), chain)

        return undo


async def _record(session: AsyncSession, groups: list[tuple[GroupSpec, str]]) -> None:
    """What Keycloak holds now, as `sso sync` records it (public.sso_groups), in the caller's transaction."""
    for spec, group_id in groups:
        await session.execute(text(
            "INSERT INTO public.sso_groups (key, group_id, parent_key, name) VALUES (:k, :g, :p, :n) "
            "ON CONFLICT (key) DO UPDATE SET group_id = excluded.group_id, name = excluded.name"),
            {"k": spec.key, "g": group_id, "p": spec.parent_key, "n": spec.label})
