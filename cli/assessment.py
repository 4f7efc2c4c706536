"""`hotline assessment`: the read model of indicators and rankings (考核)."""

from __future__ import annotations

import asyncio
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
