"""Console output shared by the CLI commands: errors that say what to do, progress bars."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError

from embedded.process import ServiceError
from infra.settings import get_settings
from sso.credentials import MissingSecret
from sso.realm import RealmMismatch
from sso.users import UserError
from tenants.codes import InvalidTenantCode
from tenants.divisions import DivisionsNotFound
from tenants.migrate import MigrationReport, TenantResult
from tenants.service import TenantError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can fix into a one-line message and exit code, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (ServiceError, TenantError, InvalidTenantCode, DivisionsNotFound, UserError, MissingSecret,
                RealmMismatch) as exc:
            raise fail(str(exc)) from None
        except ValidationError as exc:
            problems = "; ".join(f"HOTLINE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
            raise fail(f"invalid settings: {problems}", 2) from None
        except OperationalError as exc:
            url = get_settings().postgres_url
            raise fail(
                f"cannot reach PostgreSQL at {url} ({str(exc.orig).strip().splitlines()[0]}). "
                "Start the platform with `hotline up --detach`, or set HOTLINE_DATABASE_URL."
            ) from None

    return wrapper


@contextmanager
def migration_progress(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[TenantResult], None]]]:
    """A progress bar fed by the migration runner's on_start / on_result callbacks."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(), console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=None, failed=0)
        failed = 0

        def on_start(total: int) -> None:
            progress.update(task, total=total)

        def on_result(result: TenantResult) -> None:
            nonlocal failed
            failed += 0 if result.ok else 1
            progress.update(task, advance=1, failed=failed)

        yield on_start, on_result


def print_migration_report(report: MigrationReport) -> None:
    console.print(
        f"tenant head {report.head}: {len(report.migrated)} migrated, {report.up_to_date} already current, "
        f"{len(report.failed)} failed, in {report.seconds:.1f}s"
    )
    for result in report.failed[:50]:
        err_console.print(f"  [red]failed[/] {result.code}: {result.error}")
    if len(report.failed) > 50:
        err_console.print(f"  … and {len(report.failed) - 50} more")
    if report.failed:
        err_console.print("Fix the cause and run `hotline migrate` again: it resumes with the failed tenants.")


@contextmanager
def supervisor_log(log_file: Path, *, console_too: bool) -> Iterator[None]:
    """Where the supervisor's lines go while it runs: its log file in the home, and with ``console_too`` the
    console as well (`hotline up` in the foreground, `hotline supervise` in a terminal). A detached supervisor's
    own output goes to the same file, for what is not a log line (a traceback)."""
    logger = logging.getLogger("hotline.supervisor")
    to_file = logging.FileHandler(log_file)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handlers: list[logging.Handler] = [to_file]
    if console_too:
        to_console = logging.StreamHandler(sys.stdout)
        to_console.setFormatter(logging.Formatter("supervisor: %(message)s"))
        handlers.append(to_console)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
