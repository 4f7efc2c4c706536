"""`hotline up | down | status | supervise | worker | serve`: the platform's processes."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from datetime import datetime
from typing import Annotated

import asyncpg
import typer
import uvicorn
import uvloop
from nats.errors import Error as NatsError
from rich.table import Table

from cli.database import shared_engine
from cli.demo import load_demo
from cli.migrate import migrate_all
from cli.output import console, fail, friendly_errors, supervisor_log
from cli.sso import sync_identity
from cli.up_stamps import Stamps, prepare_fingerprint
from embedded import supervisor
from embedded.supervisor_process import SupervisorProcess
from embedded.watchdog import Watchdog
from infra.settings import Settings, get_settings


def register(app: typer.Typer) -> None:
    for command in (up, supervise, down, status, worker, serve):
        app.command()(command)


@friendly_errors
def up(
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once everything is ready, leaving a "
                                         "supervisor process that restarts what dies.")] = False,
    demo: Annotated[bool, typer.Option(help="Load the demo province.")] = True,
) -> None:
    """Start PostgreSQL, NATS, Keycloak (unless given by URL), migrate, load the demo, start the API; keep them up."""
    settings = get_settings()

    def prepare() -> None:
        stamps = Stamps(settings.home)
        with shared_engine(settings) as engine:
            if stamps.matches("prepare", prepare_fingerprint(settings, engine, demo)):
                console.print("migrations and demo province: as the last `up` left them (skipped; "
                              "`hotline migrate` and `hotline demo load` run them)")
                return
            stamps.forget("prepare")
            ok = migrate_all(settings)
            if demo:
                ok = load_demo(settings) and ok
            if ok:
                stamps.record("prepare", prepare_fingerprint(settings, engine, demo))
            else:
                console.print("[yellow]some tenants failed to migrate; the platform runs without them[/]")

    result = supervisor.up(settings, console.print, prepare=prepare,
                           with_keycloak=lambda: sync_identity(settings, demo), detach_supervisor=detach)
    if detach:
        _print_status(settings)
        return
    keeper = SupervisorProcess(settings)
    lock = keeper.claim()
    if lock is None:
        console.print(f"supervisor: already running (pid {keeper.pid()})")
    _print_status(settings)
    console.print("[bold green]platform is up[/] — Ctrl-C stops what this command started")
    stop = _stop_on_signal()
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
    stop = _stop_on_signal()
    try:
        with supervisor_log(keeper.log_file, console_too=sys.stdout.isatty()):
            Watchdog([svc for svc in services if not service or svc.name in service], keeper.record_file).run(stop)
    finally:
        keeper.release(lock)


@friendly_errors
def down() -> None:
    """Stop every service `hotline up` started in this home (the supervisor first)."""
    if not supervisor.down(get_settings(), console.print):
        console.print("nothing was running")


@friendly_errors
def status() -> None:
    """Each service: where, its pid, whether it answers, its restarts. Exit 1 if one is down (the supervisor too)."""
    if not _print_status(get_settings()):
        raise typer.Exit(1)


def worker() -> None:
    """Run the federation worker: the outbox relay and the message consumers (Ctrl-C stops it)."""
    from app.worker import run_worker  # the order domain: imported by the commands that use it

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


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Run the API in the foreground (services must already be up)."""
    settings = get_settings()
    # proxy_headers off: the client's address is worked out behind HOTLINE_TRUSTED_PROXIES (infra/client_address.py).
    uvicorn.run("app.factory:create_app", factory=True, host=host or settings.bind_host,
                port=port or settings.api_port, proxy_headers=False)


def _stop_on_signal() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM: the watchdog stops at it and the command cleans up."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


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
