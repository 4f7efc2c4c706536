"""`hotline tenants`: the tenant tree (租户树) — import a province, add one tenant, show the tree."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.tree import Tree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.database import shared_engine
from cli.output import console, fail, friendly_errors, migration_progress, print_migration_report
from infra.settings import get_settings
from tenants.codes import validate_code
from tenants.divisions import read_province
from tenants.migrate import upgrade_shared
from tenants.models import Tenant
from tenants.service import add_tenant, children_query, import_divisions, tenant_query

tenants_app = typer.Typer(help="The tenant tree: import, add, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tenants_app, name="tenants")


@tenants_app.command("import")
@friendly_errors
def tenants_import(
    province: Annotated[str, typer.Option(help="Province code, e.g. 41 (Henan).")],
    city: Annotated[list[str] | None, typer.Option(help="Only these cities' subtrees (repeatable).")] = None,
) -> None:
    """Register a province's divisions as tenants and provision their schemas."""
    settings = get_settings()
    for code in city or []:
        if len(validate_code(code)) != 4 or not code.startswith(province):
            raise fail(f"{code} is not a city of province {province}", 2)
    divisions = read_province(settings.divisions_dir, province, cities=city)
    with shared_engine(settings) as engine:
        upgrade_shared(engine)
        with migration_progress(f"importing {province}") as (on_start, on_result):
            report = import_divisions(settings, engine, divisions, on_start=on_start, on_result=on_result)
    console.print(f"{len(divisions)} divisions: {report.registered} newly registered, "
                  f"{report.already_registered} already registered")
    print_migration_report(report.migration)
    if not report.migration.ok:
        raise typer.Exit(1)


@tenants_app.command("add")
@friendly_errors
def tenants_add(
    code: Annotated[str, typer.Argument(help="GB/T 2260 code, e.g. 410102099 for a new street.")],
    name: Annotated[str, typer.Argument(help="Its name, e.g. 新区街道.")],
) -> None:
    """Register one tenant under its existing parent and provision its schema."""
    settings = get_settings()
    with shared_engine(settings) as engine:
        upgrade_shared(engine)
        result = add_tenant(settings, engine, code, name)
    if not result.ok:
        raise fail(f"{code} was registered but its schema failed to migrate: {result.error}. "
                   "Fix the cause and run `hotline migrate`.")
    console.print(f"tenant {code} {name} added and provisioned (t_{code})")


@tenants_app.command("tree")
@friendly_errors
def tenants_tree(
    code: Annotated[str | None, typer.Argument(help="Root of the tree; default: every province.")] = None,
    depth: Annotated[int, typer.Option(help="Levels to show below the root.")] = 1,
) -> None:
    """Print the tenant tree below a tenant."""
    with shared_engine() as engine, Session(engine) as session:
        if code is None:
            roots = list(session.scalars(select(Tenant).where(Tenant.parent_code.is_(None))))
        else:
            roots = list(session.scalars(tenant_query(validate_code(code))))
            if not roots:
                raise fail(f"no tenant {code}", 1)
        tree = Tree("tenants")
        for root in roots:
            _add_branch(session, tree, root, depth)
    console.print(tree)


def _add_branch(session: Session, parent: Tree, tenant: Tenant, depth: int) -> None:
    n_children = session.scalar(select(func.count()).where(Tenant.parent_code == tenant.code))
    marker = "" if tenant.status == "active" else f" [yellow]({tenant.status})[/]"
    node = parent.add(f"[bold]{tenant.code}[/] {tenant.name} · {tenant.level} · {n_children} children{marker}")
    if depth > 0:
        for child in session.scalars(children_query(tenant.code)):
            _add_branch(session, node, child, depth - 1)
