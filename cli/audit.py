"""`hotline audit`: the tamper-evident event log (防篡改的事件链)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from cli.database import shared_engine
from cli.output import console, fail, friendly_errors
from core.orders.audit import verify_tenant
from tenants.codes import validate_code
from tenants.service import tenant_query

audit_app = typer.Typer(help="The tamper-evident event log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@friendly_errors
def audit_verify(tenant: Annotated[str, typer.Option(help="The tenant whose event chains to check.")]) -> None:
    """Check the hash chain of every order's events; name the first broken event (exit 1)."""
    with shared_engine() as engine:
        with Session(engine) as session:
            row = session.scalar(tenant_query(validate_code(tenant)))
        if row is None:
            raise fail(f"no tenant {tenant}")
        report = verify_tenant(engine, row.schema_name)
    if report.broken:
        b = report.broken
        raise fail(f"broken chain: order {b.number}, event {b.seq} ({b.event_id}): {b.problem}")
    console.print(f"tenant {tenant}: {report.orders} orders, {report.events} events, every chain intact")
