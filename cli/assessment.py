"""`hotline assessment`: the read model of indicators and rankings (考核)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cli.output import console, fail, friendly_errors
from core.assessment.tally import month_bounds
from infra.settings import get_settings

assessment_app = typer.Typer(help="Assessment (考核): the read model of indicators and rankings.",
                             no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(assessment_app, name="assessment")


@assessment_app.command("rebuild")
@friendly_errors
def assessment_rebuild(
    month: Annotated[str | None, typer.Option(help="Only the records of this month (2026-10); default: all.")] = None,
) -> None:
    """Recompute the assessment read model from every tenant's event log (the consumer waits meanwhile)."""
    from core.assessment.rebuild import rebuild  # the order domain: imported by the commands that use it

    try:
        bounds = month_bounds(month) if month else None
    except ValueError as exc:
        raise fail(f"{exc}: give --month as YYYY-MM") from None
    report = asyncio.run(rebuild(get_settings().postgres_url, bounds))
    console.print(f"rebuilt from {report.events:,} events of {report.orders:,} order records in "
                  f"{report.tenants:,} tenants in {report.seconds:.1f} s")


@assessment_app.command("population")
@friendly_errors
def assessment_population(
    table: Annotated[Path, typer.Argument(help="A CSV with the columns code,population,year,source.")],
) -> None:
    """Load resident population by division (常住人口) for the hot-spot map's requests per 10,000 residents.

    The platform ships none (no package carries the census's county table under a licence that allows it):
    load a table you hold the right to use, e.g. from 《中国人口普查分县资料—2020》."""
    from core.assessment.population import PopulationFileError, load, read_table
    from infra.db import sync_engine

    try:
        rows = read_table(table)
    except (OSError, PopulationFileError) as exc:
        raise fail(str(exc)) from None
    engine = sync_engine(get_settings())
    try:
        count = load(engine, rows)
    finally:
        engine.dispose()
    console.print(f"loaded the population of {count:,} divisions from {table}")
