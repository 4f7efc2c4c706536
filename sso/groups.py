"""Keycloak groups mirroring the tenant tree: province → city → district → town, units as subgroups.

Group names are codes (``/41/4101/410102``) and ``unit-<id>`` for a tenant's units; the Chinese
name travels as an attribute. What `sso sync` created is recorded in ``public.sso_groups``, so a
run compares the registry and the units with that record and calls Keycloak only for the
difference: a run with no change makes no writes and almost no requests. (Listing all groups
of a realm with thousands of them takes Keycloak tens of seconds: never done here.) The first
sync of an empty realm sends the whole tree in one partial import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from keycloak import KeycloakAdmin
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from tenants.codes import validate_code

BATCH = 500


@dataclass(frozen=True)
class GroupSpec:
    key: str  # tenant path, or "<tenant path>#unit-<id>"
    parent_key: str | None
    name: str  # the group's name in Keycloak
    label: str  # the Chinese name, as an attribute
    kind: str  # province | city | district | town | unit

    @property
    def kc_path(self) -> str:
        return "/" + self.key.replace("#", "/")


@dataclass
class GroupSyncReport:
    created: int = 0
    renamed: int = 0
    deleted: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return self.created + self.renamed + self.deleted


def desired_groups(conn: Connection) -> dict[str, GroupSpec]:
    """The groups the registry and every tenant's active units call for."""
    specs: dict[str, GroupSpec] = {}
    tenants = conn.execute(text(
        "SELECT code, name, level, path FROM public.tenants WHERE status = 'active' ORDER BY path")).all()
    for code, name, level, path in tenants:
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        specs[path] = GroupSpec(path, parent, code, name, level)
    paths = {code: path for code, _, _, path in tenants}
    schemas = [f"t_{validate_code(code)}" for code in paths]
    for start in range(0, len(schemas), BATCH):
        sql = " UNION ALL ".join(
            f"SELECT '{s[2:]}', id, name FROM \"{s}\".units WHERE active" for s in schemas[start:start + BATCH])
        for code, unit_id, unit_name in conn.exec_driver_sql(sql):
            key = f"{paths[code]}#unit-{unit_id}"
            specs[key] = GroupSpec(key, paths[code], f"unit-{unit_id}", unit_name, "unit")
    return specs


def recorded_groups(conn: Connection) -> dict[str, tuple[str, str]]:
    """key → (Keycloak group id, label) of the groups created so far."""
    return {key: (gid, name) for key, gid, name in conn.execute(text(
        "SELECT key, group_id, name FROM public.sso_groups"))}


def group_representation(spec: GroupSpec, children: list[dict] | None = None) -> dict:
    """The group as Keycloak takes it: its name, path and the Chinese name and kind as attributes."""
    # Keycloak's partial import needs the path of every group, or it fails on subgroups.
    body = {"name": spec.name, "path": spec.kc_path, "attributes": {"name": [spec.label], "kind": [spec.kind]}}
    if children:
        body["subGroups"] = children
    return body


def sync_groups(kc: KeycloakAdmin, engine: Engine, on_progress: Callable[[int, int], None] | None = None,
                ) -> GroupSyncReport:
    """Create, rename and delete groups until Keycloak mirrors the tree. Resumable."""
    report = GroupSyncReport()
    with engine.connect() as conn:
        desired = desired_groups(conn)
        recorded = recorded_groups(conn)
    to_create = sorted((k for k in desired if k not in recorded), key=lambda k: (k.count("/"), "#" in k, k))
    to_rename = [k for k in desired if k in recorded and recorded[k][1] != desired[k].label]
    to_delete = sorted((k for k in recorded if k not in desired), key=lambda k: -k.count("/"))
    total = len(to_create) + len(to_rename) + len(to_delete)
    done = 0

    def progress() -> None:
        if on_progress:
            on_progress(done, total)

    progress()
    if to_create and not recorded:
        report.requests += 1
        if not kc.get_groups({"briefRepresentation": "true", "max": 1}):
            _import_all(kc, engine, desired, report)
            done += len(to_create)
            progress()
            to_create = []
    for key in to_create:
        spec = desired[key]
        parent_id = _group_id(kc, engine, spec.parent_key, report) if spec.parent_key else None
        report.requests += 1
        group_id = kc.create_group(group_representation(spec), parent=parent_id, skip_exists=True)
        if not group_id:  # it existed already (created outside a record): find it, and give it this name
            report.requests += 1
            found = kc.get_group_by_path(spec.kc_path)
            group_id = found["id"]
            if found.get("attributes", {}).get("name") != [spec.label]:
                report.requests += 2
                current = kc.get_group(group_id)
                kc.update_group(group_id, {**current, "attributes": {**current.get("attributes", {}),
                                                                   "name": [spec.label], "kind": [spec.kind]}})
        _record(engine, spec, group_id)
        report.created += 1
        done += 1
        progress()
    for key in to_rename:
        spec = desired[key]
        group_id = recorded[key][0]
        report.requests += 2
        current = kc.get_group(group_id)
        kc.update_group(group_id, {**current, "attributes": {**current.get("attributes", {}),
                                                           "name": [spec.label]}})
        _record(engine, spec, group_id)
        report.renamed += 1
        done += 1
        progress()
    for key in to_delete:
        report.requests += 1
        try:
            kc.delete_group(recorded[key][0])
        except Exception as exc:  # already gone: the record is what is left to clean
            report.errors.append(f"{key}: {exc}")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM public.sso_groups WHERE key = :k"), {"k": key})
        report.deleted += 1
        done += 1
        progress()
    return report


def _import_all(kc: KeycloakAdmin, engine: Engine, desired: dict[str, GroupSpec], report: GroupSyncReport) -> None:
    """An empty realm: the whole tree in one partial import, then its ids read back level by level."""
    children: dict[str | None, list[GroupSpec]] = {}
    for spec in desired.values():
        children.setdefault(spec.parent_key, []).append(spec)

    def build(spec: GroupSpec) -> dict:
        return group_representation(spec, [build(c) for c in children.get(spec.key, [])])

    report.requests += 1
    kc.partial_import_realm(kc.connection.realm_name, {
        "ifResourceExists": "SKIP", "groups": [build(root) for root in children.get(None, [])]})
    rows = []
    top = kc.get_groups({"briefRepresentation": "true", "max": 1000})
    report.requests += 1
    by_name = {g["name"]: g["id"] for g in top}
    level = [(spec, by_name[spec.name]) for spec in children.get(None, []) if spec.name in by_name]
    while level:
        following = []
        for spec, group_id in level:
            rows.append((spec, group_id))
            kids = children.get(spec.key, [])
            if not kids:
                continue
            report.requests += 1
            listed = kc.get_group_children(group_id, {"briefRepresentation": "true", "max": 10000, "first": 0})
            ids = {g["name"]: g["id"] for g in listed}
            following += [(kid, ids[kid.name]) for kid in kids if kid.name in ids]
        level = following
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO public.sso_groups (key, group_id, parent_key, name) VALUES (:k, :g, :p, :n) "
            "ON CONFLICT (key) DO UPDATE SET group_id = excluded.group_id, name = excluded.name"),
            [{"k": s.key, "g": gid, "p": s.parent_key, "n": s.label} for s, gid in rows])
    report.created += len(rows)


def _group_id(kc: KeycloakAdmin, engine: Engine, key: str, report: GroupSyncReport) -> str:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT group_id FROM public.sso_groups WHERE key = :k"), {"k": key}).scalar()
    if found:
        return found
    report.requests += 1
    return kc.get_group_by_path("/" + key.replace("#", "/"))["id"]


def _record(engine: Engine, spec: GroupSpec, group_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO public.sso_groups (key, group_id, parent_key, name) VALUES (:k, :g, :p, :n) "
            "ON CONFLICT (key) DO UPDATE SET group_id = excluded.group_id, name = excluded.name"),
            {"k": spec.key, "g": group_id, "p": spec.parent_key, "n": spec.label})


def group_id_for(engine: Engine, kc: KeycloakAdmin, tenant_path: str, unit_id: int | None) -> str:
    """The Keycloak group a user of this tenant (and unit) belongs in."""
    key = f"{tenant_path}#unit-{unit_id}" if unit_id is not None else tenant_path
    return _group_id(kc, engine, key, GroupSyncReport())
