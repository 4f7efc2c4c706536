"""`hotline migrate`: the shared schema, then every tenant's schema."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.database import shared_engine
from cli.output import console, friendly_errors, migration_progress, print_migration_report
from infra.settings import Settings, get_settings
from tenants.migrate import head, migrate_tenants, migration_status, upgrade_shared

migrate_app = typer.Typer(help="Migrate the shared schema and every tenant schema.", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate")


def migrate_all(settings: Settings) -> bool:
    """The shared branch, the policies, then the tenant branch in every tenant; False if a tenant failed."""
    from iam.store import sync_policies  # Casbin: imported by the commands that use it

    with shared_engine(settings) as engine:
        upgrade_shared(engine)
        sync_policies(engine)  # derived from the code's roles: they travel with each release
        with migration_progress("migrating tenants") as (on_start, on_result):
            report = migrate_tenants(settings, engine, on_start=on_start, on_result=on_result)
        print_migration_report(report)
        return report.ok


@migrate_app.callback()
@friendly_errors
def migrate(ctx: typer.Context) -> None:
    """Apply the shared branch, then the tenant branch to every tenant (parallel, resumable)."""
    if ctx.invoked_subcommand is not None:
        return
    if not migrate_all(get_settings()):
        raise typer.Exit(1)


@migrate_app.command("status")
@friendly_errors
def migrate_status(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List the tenants behind head.")] = False,
) -> None:
    """Which tenants are at which tenant revision."""
    with shared_engine() as engine:
        grouped = migration_status(engine)
    target = head("tenant")
    table = Table("revision", "tenants", "")
    for revision, codes in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        label = revision or "(no schema yet)"
        table.add_row(label, str(len(codes)), "head" if revision == target else "[yellow]behind[/]")
    console.print(table)
    behind = [c for rev, codes in grouped.items() if rev != target for c in codes]
    if verbose and behind:
        console.print("behind: " + " ".join(behind[:200]) + (" …" if len(behind) > 200 else ""))
    if behind:
        raise typer.Exit(1)
