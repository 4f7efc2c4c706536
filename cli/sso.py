"""`hotline sso` and `hotline iam`: the Keycloak realm with its groups, and the permission policies (Casbin)."""

from __future__ import annotations

import time

import typer
from rich.progress import Progress

from cli.database import shared_engine
from cli.output import console, friendly_errors
from cli.up_stamps import Stamps, identity_fingerprint
from infra.settings import Settings, get_settings
from sso.demo import ensure_demo_users
from sso.groups import sync_groups
from sso.realm import admin_client, sync_realm

sso_app = typer.Typer(help="Keycloak: the realm and the groups that mirror the tenant tree.", no_args_is_help=True)
iam_app = typer.Typer(help="Permission policies (Casbin).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sso_app, name="sso")
    app.add_typer(iam_app, name="iam")


def sync_identity(settings: Settings, demo: bool) -> None:
    """Policies, the Keycloak realm and groups, and (for the demo) the demo users; skipped when `up` left them so."""
    from iam.store import sync_policies  # Casbin: imported by the commands that use it

    stamps = Stamps(settings.home)
    with shared_engine(settings) as engine:
        sync_policies(engine)
        if stamps.matches("identity", identity_fingerprint(settings, engine, demo)):
            console.print("keycloak: realm, groups and demo users as the last `up` left them (sync skipped; "
                          "`hotline sso sync` runs it in full)")
            return
        stamps.forget("identity")
        sync_realm(settings, console.print)
        kc = admin_client(settings)
        report = sync_groups(kc, engine)
        console.print(f"keycloak groups: {report.created} created, {report.deleted} deleted")
        if demo:
            created = sum(1 for _, status in ensure_demo_users(kc, engine) if status == "created")
            console.print(f"demo users: {created} created (`hotline demo users` lists them)")
        if not report.errors:
            stamps.record("identity", identity_fingerprint(settings, engine, demo))


@sso_app.command("sync")
@friendly_errors
def sso_sync() -> None:
    """Make the Keycloak realm match the platform: roles, clients, mappers, and one group per tenant and unit."""
    settings = get_settings()
    started = time.perf_counter()
    realm = sync_realm(settings, console.print)
    with shared_engine(settings) as engine, Progress(console=console) as progress:
        task = progress.add_task("groups", total=None)
        report = sync_groups(admin_client(settings), engine,
                             on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    console.print(f"realm: {len(realm.writes)} changes, verified; groups: {report.created} created, "
                  f"{report.renamed} renamed, {report.deleted} deleted, {report.requests} requests, "
                  f"in {time.perf_counter() - started:.1f}s")
    for error in report.errors:
        console.print(f"[yellow]warning[/] {error}")


@iam_app.command("sync")
@friendly_errors
def iam_sync() -> None:
    """Store the permission policies derived from the roles; every process reloads them."""
    from iam.store import sync_policies  # Casbin: imported by the commands that use it

    with shared_engine() as engine:
        changed = sync_policies(engine)
    console.print("policies updated" if changed else "policies already current")
