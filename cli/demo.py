"""`hotline demo`: the demo province, its units, its routing rules (派单目录) and its people."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.database import shared_engine
from cli.output import console, friendly_errors, migration_progress, print_migration_report
from core.routing.demo import seed_routing_rules
from infra.settings import Settings, get_settings
from sso.demo import DEMO_PASSWORD, DEMO_USERS
from tenants.demo import seed_units
from tenants.divisions import read_province
from tenants.migrate import upgrade_shared
from tenants.service import import_divisions

demo_app = typer.Typer(help="The demo province.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")


def load_demo(settings: Settings) -> bool:
    """The demo province's tenants with their schemas, the units and routing rules of its demo cities (down to
    their towns); False if a tenant failed."""
    divisions = read_province(settings.divisions_dir, settings.demo_province,
                              town_cities=settings.demo_town_cities)
    with shared_engine(settings) as engine:
        with migration_progress(f"demo province {settings.demo_province}") as (on_start, on_result):
            report = import_divisions(settings, engine, divisions, on_start=on_start, on_result=on_result)
        console.print(f"demo province: {report.registered} tenants registered, "
                      f"{report.already_registered} already there")
        print_migration_report(report.migration)
        failed = {r.code for r in report.migration.failed}
        staffed = [(d.code, d.name, d.level) for d in divisions
                   if d.code.startswith(tuple(settings.demo_town_cities)) and d.code not in failed]
        units = seed_units(engine, staffed)
        console.print(f"demo units: {units} added")
        rules = seed_routing_rules(engine, staffed)
        console.print(f"demo routing rules (派单目录): {rules} added")
        return report.migration.ok


@demo_app.command("load")
@friendly_errors
def demo_load() -> None:
    """Load the demo province (idempotent)."""
    settings = get_settings()
    with shared_engine(settings) as engine:
        upgrade_shared(engine)
    if not load_demo(settings):
        raise typer.Exit(1)


@demo_app.command("users")
@friendly_errors
def demo_users() -> None:
    """The demo province's people and their password."""
    table = Table("username", "password", "tenant", "roles", "unit", "who")
    for user in DEMO_USERS:
        table.add_row(user.username, DEMO_PASSWORD, user.tenant, " ".join(user.roles), user.unit_code or "", user.note)
    console.print(table)
    console.print(f"Tokens: POST {get_settings().issuer}/protocol/openid-connect/token with client_id=hotline-cli, "
                  "grant_type=password; the console signs in at /auth/login.")
