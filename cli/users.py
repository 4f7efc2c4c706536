"""`hotline users`: people in Keycloak — create, disable, list."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.database import shared_engine
from cli.output import console, friendly_errors
from infra.settings import get_settings
from sso.realm import admin_client
from sso.users import NewUser, create_user, disable_user, list_users, tenant_path

users_app = typer.Typer(help="People: create, disable, list (in Keycloak).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


@users_app.command("add")
@friendly_errors
def users_add(
    username: Annotated[str, typer.Argument()],
    tenant: Annotated[str, typer.Option(help="The tenant's code.")],
    role: Annotated[list[str], typer.Option(help="A role (repeatable): operator, dispatcher, handler, …")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    unit: Annotated[int | None, typer.Option(help="The unit's id, for a unit's staff.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a person in a tenant (and unit) with roles."""
    settings = get_settings()
    with shared_engine(settings) as engine:
        create_user(admin_client(settings), engine, NewUser(username, password, tenant, role, unit, name))
    console.print(f"user {username} created in {tenant}" + (f", unit {unit}" if unit else ""))


@users_app.command("disable")
@friendly_errors
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a person (they can no longer sign in; their sessions end and their tokens stop working within about
    a second; history keeps their name)."""
    settings = get_settings()
    with shared_engine(settings) as engine:
        disable_user(admin_client(settings), engine, username, by="cli")
    console.print(f"user {username} disabled")


@users_app.command("list")
@friendly_errors
def users_list(tenant: Annotated[str, typer.Option(help="The tenant's code.")]) -> None:
    """The people of one tenant."""
    settings = get_settings()
    kc = admin_client(settings)
    with shared_engine(settings) as engine:
        path = tenant_path(engine, tenant)
    table = Table("username", "enabled", "unit", "roles")
    for user in list_users(kc, path):
        table.add_row(user.username, "yes" if user.enabled else "no", str(user.unit_id or ""), " ".join(user.roles))
    console.print(table)
