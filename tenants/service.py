"""The tenant registry's rules: importing a province, adding one tenant, tree queries.

Tree queries lean on the GB/T 2260 structure: a tenant's ancestors are the prefixes of its
code, and its descendants are the rows whose path starts with its path (an indexed prefix
scan). The same select builders serve the async API and the sync CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from infra.db import schema_name
from infra.settings import Settings
from tenants.codes import Level, level_of, lineage, parent_of, path_of, validate_code
from tenants.divisions import Division
from tenants.migrate import MigrationReport, TenantResult, migrate_tenants
from tenants.models import Tenant, TenantStatus


class TenantError(ValueError):
    """A tenant operation that cannot be done as asked; the message says why."""


@dataclass
class ImportReport:
    registered: int
    already_registered: int
    migration: MigrationReport


# ---- select builders (used by API and CLI alike) --------------------------------------------


def tenant_query(code: str) -> Select[tuple[Tenant]]:
    return select(Tenant).where(Tenant.code == code)


def children_query(code: str) -> Select[tuple[Tenant]]:
    return select(Tenant).where(Tenant.parent_code == code).order_by(Tenant.code)


def ancestors_query(code: str) -> Select[tuple[Tenant]]:
    return select(Tenant).where(Tenant.code.in_(lineage(code)[:-1])).order_by(Tenant.depth)


def descendants_query(path: str, level: Level | None = None) -> Select[tuple[Tenant]]:
    query = select(Tenant).where(Tenant.path.startswith(f"{path}/", autoescape=True))
    if level is not None:
        query = query.where(Tenant.level == level.value)
    return query.order_by(Tenant.path)


def descendant_counts_query(path: str) -> Select[tuple[str, int]]:
    return (
        select(Tenant.level, func.count())
        .where(Tenant.path.startswith(f"{path}/", autoescape=True))
        .group_by(Tenant.level)
    )


# ---- writes ---------------------------------------------------------------------------------


def _row(division: Division) -> dict[str, object]:
    return {
        "code": division.code,
        "name": division.name,
        "level": division.level,
        "parent_code": division.parent_code,
        "path": path_of(division.code),
        "depth": len(lineage(division.code)) - 1,
        "schema_name": schema_name(division.code),
        "status": TenantStatus.provisioning.value,
    }


def register(engine: Engine, divisions: Sequence[Division]) -> tuple[int, int]:
    """Insert registry rows (parents first); existing codes are left as they are.

    Returns (newly registered, already registered). Every parent must be in the batch or
    already registered.
    """
    codes = {d.code for d in divisions}
    with engine.begin() as conn:
        parents = {d.parent_code for d in divisions if d.parent_code and d.parent_code not in codes}
        if parents:
            known = set(conn.scalars(select(Tenant.code).where(Tenant.code.in_(parents))))
            missing = sorted(parents - known)
            if missing:
                raise TenantError(f"unknown parent tenant(s) {', '.join(missing[:5])}: register them first")
        ordered = sorted(divisions, key=lambda d: len(d.code))
        inserted = 0
        for start in range(0, len(ordered), 1000):
            chunk = [_row(d) for d in ordered[start:start + 1000]]
            stmt = insert(Tenant).values(chunk).on_conflict_do_nothing(index_elements=["code"])
            inserted += len(conn.execute(stmt.returning(Tenant.code)).all())
    return inserted, len(divisions) - inserted


def import_divisions(
    settings: Settings,
    engine: Engine,
    divisions: Sequence[Division],
    *,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[TenantResult], None] | None = None,
) -> ImportReport:
    """Register divisions as tenants and provision (create + migrate) their schemas. Resumable."""
    registered, existing = register(engine, divisions)
    report = migrate_tenants(settings, engine, [d.code for d in divisions], on_start=on_start,
                             on_result=on_result)
    return ImportReport(registered, existing, report)


def add_tenant(settings: Settings, engine: Engine, code: str, name: str) -> TenantResult:
    """Register one new tenant under its (existing) parent and provision its schema."""
    try:
        validate_code(code)
    except ValueError as exc:
        raise TenantError(str(exc)) from None
    name = name.strip()
    if not name:
        raise TenantError("a tenant needs a name")
    with engine.connect() as conn:
        if conn.scalar(select(Tenant.code).where(Tenant.code == code)):
            raise TenantError(f"tenant {code} is already registered")
        parent = parent_of(code)
        if parent and not conn.scalar(select(Tenant.code).where(Tenant.code == parent)):
            raise TenantError(
                f"unknown parent {parent} ({level_of(parent).value}) for {code}: add or import it first"
            )
    register(engine, [Division(code, name)])
    report = migrate_tenants(settings, engine, [code])
    if report.failed:
        return report.failed[0]
    return TenantResult(code, True, seconds=report.seconds)
