"""`hotline bench …`: registered into the `hotline` command through the entry point `hotline.commands`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import friendly_errors
from infra.settings import get_settings

bench_app = typer.Typer(help="Benchmarks (results go in BENCHMARKS.md).", no_args_is_help=True)

JsonOut = Annotated[bool, typer.Option("--json", help="End with one JSON line.")]


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("provision")
@friendly_errors
def bench_provision(
    json_out: JsonOut = False,
    province: Annotated[str, typer.Option(help="Province to provision.")] = "41",
) -> None:
    """Provision and migrate a whole province into a fresh database; compare with raw DDL."""
    from bench.provision import run

    run(get_settings(), province=province, json_out=json_out)


@bench_app.command("auth")
@friendly_errors
def bench_auth(
    json_out: JsonOut = False,
    requests: Annotated[int, typer.Option(help="Decisions to time.")] = 200_000,
) -> None:
    """Token validation + permission decision per request over all of Henan, against plain Casbin."""
    from bench.auth import run

    run(get_settings(), json_out=json_out, requests=requests)


@bench_app.command("dispatch")
@friendly_errors
def bench_dispatch(
    json_out: JsonOut = False,
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
    json_out: JsonOut = False,
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
    json_out: JsonOut = False,
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
    json_out: JsonOut = False,
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
    json_out: JsonOut = False,
    lookups: Annotated[int, typer.Option(help="Lookups per round and way.")] = 2000,
) -> None:
    """What the shared rate limits add to a citizen's lookup, against the same lookup without them."""
    from bench.lookup import run

    run(get_settings(), lookups=lookups, json_out=json_out)


@bench_app.command("assessment")
@friendly_errors
def bench_assessment(
    json_out: JsonOut = False,
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
    json_out: JsonOut = False,
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


@bench_app.command("console")
@friendly_errors
def bench_console(
    json_out: JsonOut = False,
    orders: Annotated[int, typer.Option(help="Orders in the city (郑州), written by SQL.")] = 1_000_000,
    keep: Annotated[bool, typer.Option(help="Keep the bench database (the city's orders are reused next run).")]
    = False,
    phones: Annotated[int, typer.Option(help="Callers whose history is timed.")] = 50,
    submits: Annotated[int, typer.Option(help="Intakes timed.")] = 30,
    opens: Annotated[int, typer.Option(help="Inbox openings timed.")] = 20,
    month_orders: Annotated[int, typer.Option(help="The assessment bench's month over the whole province (the "
                                                   "overview's data), orders with their event logs.")] = 1_000_000,
    month_under: Annotated[str, typer.Option(help="Load the month only under this tenant (e.g. 4101), with the "
                                                 "levels above it: a smaller run.")] = "41",
    renders: Annotated[int, typer.Option(help="First renders of the province's overview timed.")] = 20,
    drills: Annotated[int, typer.Option(help="Drill-down clicks timed (province → city → district → town).")] = 30,
) -> None:
    """The console in Debian's Chromium over a city of a million orders: caller history, intake, the inbox's first
    page and the seat's compressed JS, each beside the API alone; and with a month over the whole province, the
    overview's first render and its drill-down."""
    from bench.console import run

    if orders < 10_000 or min(phones, submits, opens, renders, drills) < 2:
        raise typer.BadParameter("give at least 10,000 orders and 2 of each timing")
    if month_orders < 1:
        raise typer.BadParameter("the overview needs a month of orders (at least one per tenant is loaded)")
    run(get_settings(), json_out=json_out, orders=orders, keep=keep, phones=phones, submits=submits, opens=opens,
        month_orders=month_orders, month_under=month_under, renders=renders, drills=drills)
