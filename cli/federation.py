"""`hotline federation`: cross-level messaging — consistency check, dead letters (死信), replay, retention."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
import typer

from cli.database import database, shared_engine
from cli.output import console, err_console, friendly_errors
from federation.retention import prune
from infra.settings import get_settings

federation_app = typer.Typer(help="Cross-level messaging over NATS JetStream.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(federation_app, name="federation")


@federation_app.command("check")
@friendly_errors
def federation_check(
    stale: Annotated[int, typer.Option(help="Seconds after which a message should have been published and "
                                            "applied. Levels are compared at once, wherever no message is in flight.")
                     ] = 60,
) -> None:
    """Every message moved on; every level agrees with the level that dispatched to it; no order is stuck."""
    from core.orders.crosslevel.check import check  # the order domain: imported by the commands that use it

    with shared_engine() as engine:
        report = check(engine, stale)
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
    from app.replay import dead_letters  # the order domain: imported by the commands that use it

    async def run() -> None:
        async with database() as db:
            letters = await dead_letters(db)
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
    from app.replay import dead_letters, replay  # the order domain: imported by the commands that use it

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
        async with database(settings) as db:
            letters = await dead_letters(db, ids)
            missing = set(ids or []) - {letter.message_id for letter in letters}
            for message_id in sorted(missing, key=str):
                err_console.print(f"[red]no dead letter[/] {message_id}")
            done = await replay(db, settings.postgres_url, letters)
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
