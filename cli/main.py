"""The `hotline` command: services, tenants, migrations, demo data and benchmarks."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.tree import Tree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.output import (
    console,
    err_console,
    fail,
    friendly_errors,
    migration_progress,
    print_migration_report,
    supervisor_log,
)
from cli.up_stamps import Stamps, identity_fingerprint, prepare_fingerprint
from embedded import supervisor
from embedded.supervisor_process import SupervisorProcess
from embedded.watchdog import Watchdog
from infra.db import sync_engine
from infra.settings import Settings, get_settings
from tenants.codes import validate_code
from tenants.demo import seed_units
from tenants.divisions import read_province
from tenants.migrate import head, migrate_tenants, migration_status, upgrade_shared
from tenants.models import Tenant
from tenants.service import add_tenant, children_query, import_divisions, tenant_query

app = typer.Typer(help="The provincial 12345 hotline platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
tenants_app = typer.Typer(help="The tenant tree: import, add, show.", no_args_is_help=True)
migrate_app = typer.Typer(help="Migrate the shared schema and every tenant schema.",
                          invoke_without_command=True)
demo_app = typer.Typer(help="The demo province.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (results go in BENCHMARKS.md).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)
sso_app = typer.Typer(help="Keycloak: the realm and the groups that mirror the tenant tree.", no_args_is_help=True)
iam_app = typer.Typer(help="Permission policies (Casbin).", no_args_is_help=True)
assessment_app = typer.Typer(help="Assessment (考核): the read model of indicators and rankings.",
                             no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(migrate_app, name="migrate")
app.add_typer(demo_app, name="demo")
app.add_typer(bench_app, name="bench")
app.add_typer(audit_app, name="audit")
app.add_typer(sso_app, name="sso")
app.add_typer(iam_app, name="iam")
app.add_typer(assessment_app, name="assessment")


# ---- services -------------------------------------------------------------------------------


def _migrate_all(settings: Settings) -> bool:
    from iam.store import sync_policies

    engine = sync_engine(settings)
    try:
        upgrade_shared(engine)
        sync_policies(engine)  # derived from the code's roles: they travel with each release
        with migration_progress("migrating tenants") as (on_start, on_result):
            report = migrate_tenants(settings, engine, on_start=on_start, on_result=on_result)
        print_migration_report(report)
        return report.ok
    finally:
        engine.dispose()


def _load_demo(settings: Settings) -> bool:
    divisions = read_province(settings.divisions_dir, settings.demo_province,
                              town_cities=settings.demo_town_cities)
    engine = sync_engine(settings)
    try:
        with migration_progress(f"demo province {settings.demo_province}") as (on_start, on_result):
            report = import_divisions(settings, engine, divisions, on_start=on_start, on_result=on_result)
        console.print(f"demo province: {report.registered} tenants registered, "
                      f"{report.already_registered} already there")
        print_migration_report(report.migration)
        failed = {r.code for r in report.migration.failed}
        units = seed_units(engine, [(d.code, d.name, d.level) for d in divisions
                                    if d.code.startswith(tuple(settings.demo_town_cities)) and d.code not in failed])
        console.print(f"demo units: {units} added")
        return report.migration.ok
    finally:
        engine.dispose()


def _identity(settings: Settings, demo: bool) -> None:
    """Policies, the Keycloak realm and groups, and (for the demo) the demo users."""
    from iam.store import sync_policies
    from sso.demo import ensure_demo_users
    from sso.groups import sync_groups
    from sso.realm import admin_client, sync_realm

    engine = sync_engine(settings)
    stamps = Stamps(settings.home)
    try:
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
    finally:
        engine.dispose()


@app.command()
@friendly_errors
def up(
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once everything is ready, leaving a "
                                         "supervisor process that restarts what dies.")] = False,
    demo: Annotated[bool, typer.Option(help="Load the demo province.")] = True,
) -> None:
    """Start PostgreSQL, NATS, Keycloak (unless given by URL), migrate, load the demo, start the API; keep them up."""
    settings = get_settings()

    def prepare() -> None:
        stamps, engine = Stamps(settings.home), sync_engine(settings)
        try:
            if stamps.matches("prepare", prepare_fingerprint(settings, engine, demo)):
                console.print("migrations and demo province: as the last `up` left them (skipped; "
                              "`hotline migrate` and `hotline demo load` run them)")
                return
            stamps.forget("prepare")
            ok = _migrate_all(settings)
            if demo:
                ok = _load_demo(settings) and ok
            if ok:
                stamps.record("prepare", prepare_fingerprint(settings, engine, demo))
            else:
                console.print("[yellow]some tenants failed to migrate; the platform runs without them[/]")
        finally:
            engine.dispose()

    result = supervisor.up(settings, console.print, prepare=prepare, with_keycloak=lambda: _identity(settings, demo),
                           detach_supervisor=detach)
    if detach:
        _print_status(settings)
        return
    keeper = SupervisorProcess(settings)
    lock = keeper.claim()
    if lock is None:
        console.print(f"supervisor: already running (pid {keeper.pid()})")
    _print_status(settings)
    console.print("[bold green]platform is up[/] — Ctrl-C stops what this command started")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if lock is None:
            stop.wait()
        else:
            with supervisor_log(keeper.log_file, console_too=True):
                Watchdog(supervisor.watched_services(settings), keeper.record_file).run(stop)
    finally:
        if lock is not None:
            keeper.release(lock)
    for svc in reversed(result.started):
        svc.stop()
        console.print(f"{svc.name}: stopped")


@app.command()
@friendly_errors
def supervise(
    service: Annotated[list[str] | None, typer.Option(
        "--service", help="Only this service (repeatable); default: every service this home runs.")] = None,
) -> None:
    """Keep this home's services running, restarting one that dies (what `up` leaves running; `down` stops it)."""
    settings = get_settings()
    keeper = SupervisorProcess(settings)
    services = supervisor.watched_services(settings)
    unknown = set(service or []) - {svc.name for svc in services}
    if unknown:
        raise fail(f"not a service this home runs: {', '.join(sorted(unknown))} "
                   f"(these are: {', '.join(svc.name for svc in services)})", 2)
    lock = keeper.claim()
    if lock is None:
        console.print(f"supervisor: already running (pid {keeper.pid()})")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with supervisor_log(keeper.log_file, console_too=sys.stdout.isatty()):
            Watchdog([svc for svc in services if not service or svc.name in service], keeper.record_file).run(stop)
    finally:
        keeper.release(lock)


@app.command()
@friendly_errors
def down() -> None:
    """Stop every service `hotline up` started in this home (the supervisor first)."""
    if not supervisor.down(get_settings(), console.print):
        console.print("nothing was running")


@app.command()
@friendly_errors
def status() -> None:
    """Each service: where, its pid, whether it answers, its restarts. Exit 1 if one is down (the supervisor too)."""
    settings = get_settings()
    if not _print_status(settings):
        raise typer.Exit(1)


def _print_status(settings: Settings) -> bool:
    table = Table("service", "url", "mode", "pid", "health", "restarts", "last restart")
    healthy = True
    for state in supervisor.status(settings):
        healthy = healthy and state.healthy
        good = "running" if state.name == "supervisor" else "ready"
        restarts = "-" if state.restarts is None else str(state.restarts)
        if state.next_restart:
            restarts += f" (next at {_local_time(state.next_restart)})"
        table.add_row(state.name, state.url, "embedded" if state.embedded else "external",
                      str(state.pid or "-"), f"[green]{good}[/]" if state.healthy else "[red]down[/]",
                      restarts, _local_time(state.last_restart) if state.last_restart else "-")
    console.print(table)
    keeper = SupervisorProcess(settings)
    if keeper.pid() is None:
        console.print("[yellow]supervisor: not running[/] — a service that dies stays down (`hotline up` starts one)")
    else:
        record = keeper.record()
        since = f" since {_local_time(record.started_at)}" if record and record.pid == keeper.pid() else ""
        console.print(f"supervisor: running (pid {keeper.pid()}){since}: restarts what dies; log {keeper.log_file}",
                      soft_wrap=True)
    return healthy


def _local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


federation_app = typer.Typer(help="Cross-level messaging over NATS JetStream.", no_args_is_help=True)
app.add_typer(federation_app, name="federation")


@federation_app.command("check")
@friendly_errors
def federation_check(
    stale: Annotated[int, typer.Option(help="Seconds after which a message should have been published and "
                                            "applied. Levels are compared at once, wherever no message is in flight.")
                     ] = 60,
) -> None:
    """Every message moved on; every level agrees with the level that dispatched to it; no order is stuck."""
    from core.orders.crosslevel.check import check

    report = check(sync_engine(get_settings()), stale)
    for title, items in (("not published", report.unpublished),
                         ("published but neither applied nor dead-lettered", report.unapplied),
                         ("levels out of step", report.levels),
                         ("stuck", report.stuck)):
        for item in items[:100]:
            err_console.print(f"[red]{title}[/]: {item}")
    if not report.clean:
        raise typer.Exit(1)
    console.print("federation consistent: every message moved on, every level agrees, no order is stuck")


@federation_app.command("dead-letters")
@friendly_errors
def federation_dead_letters() -> None:
    """The messages that could not apply (死信), oldest first, with why."""
    import asyncio

    from app.replay import dead_letters
    from infra.db import Database

    async def run() -> None:
        db = Database(get_settings())
        try:
            letters = await dead_letters(db)
        finally:
            await db.dispose()
        if not letters:
            console.print("no dead letters")
            return
        for letter in letters:  # plain lines, not a table: the ids are copied from here whole
            console.print(f"{letter.at:%Y-%m-%d %H:%M:%S}  {letter.message_id}  {letter.subject}  "
                          f"({letter.deliveries} deliveries)\n    {letter.reason}", soft_wrap=True, highlight=False,
                          markup=False)
        console.print(f"{len(letters)} dead letters; once the cause is fixed: hotline federation replay <id>… or --all",
                      soft_wrap=True)

    asyncio.run(run())


@federation_app.command("replay")
@friendly_errors
def federation_replay(
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message ids from `hotline federation dead-letters`.")
                           ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every dead letter, oldest first.")] = False,
) -> None:
    """Apply dead letters again once their cause is fixed: exactly once, as a worker would."""
    import asyncio
    import uuid

    from app.replay import dead_letters, replay
    from infra.db import Database

    if bool(message_ids) == all_:
        err_console.print("name the dead letters to replay (ids from `hotline federation dead-letters`) or give --all")
        raise typer.Exit(2)
    try:
        ids = [uuid.UUID(m) for m in message_ids] if message_ids else None
    except ValueError:
        err_console.print("a message id is a UUID, as `hotline federation dead-letters` lists them")
        raise typer.Exit(2) from None
    settings = get_settings()

    async def run() -> int:
        db = Database(settings)
        try:
            letters = await dead_letters(db, ids)
            missing = set(ids or []) - {letter.message_id for letter in letters}
            for message_id in sorted(missing, key=str):
                err_console.print(f"[red]no dead letter[/] {message_id}")
            done = await replay(db, settings.postgres_url, letters)
        finally:
            await db.dispose()
        for letter in done.applied:
            console.print(f"applied {letter.message_id} {letter.subject}")
        for letter, reason in done.kept:
            err_console.print(f"[red]still cannot apply[/] {letter.message_id} {letter.subject}: {reason}")
        console.print(f"{len(done.applied)} applied, {len(done.kept)} still dead-lettered")
        return 1 if done.kept or missing else 0

    code = asyncio.run(run())
    if code:
        raise typer.Exit(code)


@federation_app.command("prune")
@friendly_errors
def federation_prune(
    keep_days: Annotated[float | None, typer.Option(
        help="Keep published messages this many days (inbox ids a day longer); default HOTLINE_FEDERATION_KEEP_DAYS."
    )] = None,
) -> None:
    """Delete published outbox rows and inbox ids past retention (the worker also does it hourly)."""
    import asyncio
    from datetime import UTC, datetime

    import asyncpg

    from federation.retention import prune

    settings = get_settings()
    days = settings.federation_keep_days if keep_days is None else keep_days
    if days <= 0:
        err_console.print("nothing pruned: a retention of 0 days keeps everything "
                          "(give --keep-days a positive number of days)")
        raise typer.Exit(2)

    async def run() -> None:
        conn = await asyncpg.connect(settings.postgres_url)
        try:
            pruned = await prune(conn, datetime.now(UTC), days)
        finally:
            await conn.close()
        console.print(f"pruned {pruned.outbox} published outbox rows older than {days:g} days and "
                      f"{pruned.inbox} inbox ids older than {days + 1:g} days")

    asyncio.run(run())


@assessment_app.command("rebuild")
@friendly_errors
def assessment_rebuild(
    month: Annotated[str | None, typer.Option(help="Only the records of this month (2026-10); default: all.")] = None,
) -> None:
    """Recompute the assessment read model from every tenant's event log (the consumer waits meanwhile)."""
    import asyncio

    from core.assessment.rebuild import rebuild
    from core.assessment.tally import month_bounds

    try:
        bounds = month_bounds(month) if month else None
    except ValueError as exc:
        raise fail(f"{exc}: give --month as YYYY-MM") from None
    report = asyncio.run(rebuild(get_settings().postgres_url, bounds))
    console.print(f"rebuilt from {report.events:,} events of {report.orders:,} order records in "
                  f"{report.tenants:,} tenants in {report.seconds:.1f} s")


@app.command()
def worker() -> None:
    """Run the federation worker: the outbox relay and the message consumers (Ctrl-C stops it)."""
    import asyncio
    import logging

    import asyncpg
    import uvloop
    from nats.errors import Error as NatsError

    from app.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    try:
        uvloop.run(main())  # libuv's loop: less CPU per message than asyncio's (pyproject.toml)
    except (OSError, NatsError, asyncpg.PostgresError) as exc:  # NATS or the database away as it starts
        # One line, not a traceback: the supervisor starts it again shortly, and would repeat it each time.
        logging.getLogger("app.worker").error("worker could not start: %s: %s", type(exc).__name__, exc)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Run the API in the foreground (services must already be up)."""
    import uvicorn

    settings = get_settings()
    # proxy_headers off: the client's address is worked out behind HOTLINE_TRUSTED_PROXIES (infra/client_address.py).
    uvicorn.run("app.factory:create_app", factory=True, host=host or settings.bind_host,
                port=port or settings.api_port, proxy_headers=False)


# ---- migrations -----------------------------------------------------------------------------


@migrate_app.callback()
@friendly_errors
def migrate(ctx: typer.Context) -> None:
    """Apply the shared branch, then the tenant branch to every tenant (parallel, resumable)."""
    if ctx.invoked_subcommand is not None:
        return
    if not _migrate_all(get_settings()):
        raise typer.Exit(1)


@migrate_app.command("status")
@friendly_errors
def migrate_status(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List the tenants behind head.")] = False,
) -> None:
    """Which tenants are at which tenant revision."""
    settings = get_settings()
    engine = sync_engine(settings)
    target = head("tenant")
    grouped = migration_status(engine)
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


# ---- tenants --------------------------------------------------------------------------------


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
    engine = sync_engine(settings)
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
    engine = sync_engine(settings)
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
    with Session(sync_engine(get_settings())) as session:
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


# ---- demo -----------------------------------------------------------------------------------


@demo_app.command("load")
@friendly_errors
def demo_load() -> None:
    """Load the demo province (idempotent)."""
    settings = get_settings()
    engine = sync_engine(settings)
    upgrade_shared(engine)
    if not _load_demo(settings):
        raise typer.Exit(1)


# ---- identity and permission ----------------------------------------------------------------


@sso_app.command("sync")
@friendly_errors
def sso_sync() -> None:
    """Make the Keycloak realm match the platform: roles, clients, mappers, and one group per tenant and unit."""
    import time

    from rich.progress import Progress

    from sso.groups import sync_groups
    from sso.realm import admin_client, sync_realm

    settings = get_settings()
    started = time.perf_counter()
    realm = sync_realm(settings, console.print)
    engine = sync_engine(settings)
    with Progress(console=console) as progress:
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
    from iam.store import sync_policies

    changed = sync_policies(sync_engine(get_settings()))
    console.print("policies updated" if changed else "policies already current")


users_app = typer.Typer(help="People: create, disable, list (in Keycloak).", no_args_is_help=True)
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
    from sso.realm import admin_client
    from sso.users import NewUser, create_user

    settings = get_settings()
    create_user(admin_client(settings), sync_engine(settings), NewUser(username, password, tenant, role, unit, name))
    console.print(f"user {username} created in {tenant}" + (f", unit {unit}" if unit else ""))


@users_app.command("disable")
@friendly_errors
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a person (they can no longer sign in; their sessions end and their tokens stop working within about
    a second; history keeps their name)."""
    from sso.realm import admin_client
    from sso.users import disable_user

    settings = get_settings()
    engine = sync_engine(settings)
    try:
        disable_user(admin_client(settings), engine, username, by="cli")
    finally:
        engine.dispose()
    console.print(f"user {username} disabled")


@users_app.command("list")
@friendly_errors
def users_list(tenant: Annotated[str, typer.Option(help="The tenant's code.")]) -> None:
    """The people of one tenant."""
    from sso.realm import admin_client
    from sso.users import list_users, tenant_path

    settings = get_settings()
    table = Table("username", "enabled", "unit", "roles")
    for user in list_users(admin_client(settings), tenant_path(sync_engine(settings), tenant)):
        table.add_row(user.username, "yes" if user.enabled else "no", str(user.unit_id or ""), " ".join(user.roles))
    console.print(table)


@demo_app.command("users")
@friendly_errors
def demo_users() -> None:
    """The demo province's people and their password."""
    from sso.demo import DEMO_PASSWORD, DEMO_USERS

    table = Table("username", "password", "tenant", "roles", "unit", "who")
    for user in DEMO_USERS:
        table.add_row(user.username, DEMO_PASSWORD, user.tenant, " ".join(user.roles), user.unit_code or "", user.note)
    console.print(table)
    console.print(f"Tokens: POST {get_settings().issuer}/protocol/openid-connect/token with client_id=hotline-cli, "
                  "grant_type=password; the console signs in at /auth/login.")


# ---- audit ----------------------------------------------------------------------------------


@audit_app.command("verify")
@friendly_errors
def audit_verify(tenant: Annotated[str, typer.Option(help="The tenant whose event chains to check.")]) -> None:
    """Check the hash chain of every order's events; name the first broken event (exit 1)."""
    from core.orders.audit import verify_tenant

    engine = sync_engine(get_settings())
    with Session(engine) as session:
        row = session.scalar(tenant_query(validate_code(tenant)))
    if row is None:
        raise fail(f"no tenant {tenant}")
    report = verify_tenant(engine, row.schema_name)
    if report.broken:
        b = report.broken
        raise fail(f"broken chain: order {b.number}, event {b.seq} ({b.event_id}): {b.problem}")
    console.print(f"tenant {tenant}: {report.orders} orders, {report.events} events, every chain intact")


# ---- benchmarks -----------------------------------------------------------------------------


@bench_app.command("provision")
@friendly_errors
def bench_provision(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    province: Annotated[str, typer.Option(help="Province to provision.")] = "41",
) -> None:
    """Provision and migrate a whole province into a fresh database; compare with raw DDL."""
    from bench.provision import run

    run(get_settings(), province=province, json_out=json_out)


@bench_app.command("auth")
@friendly_errors
def bench_auth(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    requests: Annotated[int, typer.Option(help="Decisions to time.")] = 200_000,
) -> None:
    """Token validation + permission decision per request over all of Henan, against plain Casbin."""
    from bench.auth import run

    run(get_settings(), json_out=json_out, requests=requests)


@bench_app.command("dispatch")
@friendly_errors
def bench_dispatch(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    rate: Annotated[float, typer.Option(help="City dispatches per second offered.")] = 50.0,
    seconds: Annotated[float, typer.Option(help="How long the load runs.")] = 10.0,
    workers: Annotated[int, typer.Option(help="`hotline worker` processes.")] = 2,
    records: Annotated[int, typer.Option(help="Past orders the city, the district and the town each hold.")]
    = 100_000,
) -> None:
    """City → district → town dispatch chains through real workers; latency and throughput against raw
    JetStream and against the same chains in hand-written SQL."""
    from bench.dispatch import run

    if records < 0:
        raise typer.BadParameter("give 0 or more records", param_hint="--records")
    run(get_settings(), json_out=json_out, rate=rate, seconds=seconds, workers=workers, records=records)


@bench_app.command("steps")
@friendly_errors
def bench_steps(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    steps: Annotated[int, typer.Option(help="Steps timed per round and way.")] = 200,
    rounds: Annotated[int, typer.Option(help="Rounds, alternating the ways.")] = 5,
) -> None:
    """CPU of one dispatch and of one applied dispatch message, unlocked and locked, against the same steps in
    hand-written SQL."""
    from bench.steps import run

    if steps < 1 or rounds < 1:
        raise typer.BadParameter("give at least one step and one round")
    run(get_settings(), json_out=json_out, steps=steps, rounds=rounds)


@bench_app.command("statements")
@friendly_errors
def bench_statements(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    statements: Annotated[int, typer.Option(help="Statements timed per round and way.")] = 2000,
    rounds: Annotated[int, typer.Option(help="Rounds, alternating the four ways.")] = 5,
) -> None:
    """Client CPU of one hot-path statement through the ORM, as SQLAlchemy text, through the row store
    (core.orders.rows) and with plain asyncpg."""
    from bench.statements import run

    if statements < 1 or rounds < 1:
        raise typer.BadParameter("give at least one statement and one round")
    run(get_settings(), json_out=json_out, statements=statements, rounds=rounds)


@bench_app.command("prune")
@friendly_errors
def bench_prune(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    rows: Annotated[int, typer.Option(help="Outbox rows (and as many inbox ids) over 28 days.")] = 1_000_000,
) -> None:
    """Federation retention over a large outbox and inbox, against one plain DELETE per table."""
    from bench.prune import run

    if rows < 2000:
        raise typer.BadParameter("give 2000 rows or more", param_hint="--rows")
    run(get_settings(), rows=rows, json_out=json_out)


@bench_app.command("lookup")
@friendly_errors
def bench_lookup(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    lookups: Annotated[int, typer.Option(help="Lookups per round and way.")] = 2000,
) -> None:
    """What the shared rate limits add to a citizen's lookup, against the same lookup without them."""
    from bench.lookup import run

    run(get_settings(), lookups=lookups, json_out=json_out)


@bench_app.command("assessment")
@friendly_errors
def bench_assessment(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    orders: Annotated[int, typer.Option(help="Orders in the month, spread over every tenant of the province.")]
    = 1_000_000,
    province: Annotated[str, typer.Option(help="The province whose divisions are loaded.")] = "41",
    repeats: Annotated[int, typer.Option(help="Timed requests per query.")] = 200,
    keep: Annotated[bool, typer.Option(help="Keep the bench database (the month is reused next run).")] = False,
) -> None:
    """A month of orders over all of a province: rebuild time, then rankings and the overview through the API."""
    from bench.assessment import run

    run(get_settings(), json_out=json_out, orders=orders, province=province, repeats=repeats, keep=keep)


@bench_app.command("intake")
@friendly_errors
def bench_intake(
    json_out: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
    seconds: Annotated[float, typer.Option(help="Length of each measured phase.")] = 10.0,
    concurrency: Annotated[int, typer.Option(help="Concurrent operators (and raw connections).")] = 16,
    list_orders: Annotated[int, typer.Option(help="Orders in the tenant the list page is timed on.")] = 5_000_000,
    keep: Annotated[bool, typer.Option(help="Keep the bench database (the big tenant is reused next run).")] = False,
    api_workers: Annotated[int, typer.Option(help="uvicorn worker processes of the API.")] = 1,
) -> None:
    """Register orders over HTTP with concurrent clients; compare with raw asyncpg inserts."""
    from bench.intake import run

    run(get_settings(), json_out=json_out, seconds=seconds, concurrency=concurrency, list_orders=list_orders,
        keep=keep, api_workers=api_workers)


if __name__ == "__main__":
    app()
