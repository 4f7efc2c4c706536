"""The `hotline` command: each command group's module registers itself here; so do installed extensions.

An extension (the benchmarks, `hotline-bench` in bench/) names a `register(app)` function under the entry-point
group `hotline.commands`: the product never imports it, and it is not shipped in the product's wheel.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

import typer

from cli import assessment, audit, demo, federation, migrate, services, sso, tenants, users, web_console
from cli.output import err_console

EXTENSIONS = "hotline.commands"

app = typer.Typer(help="The provincial 12345 hotline platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


def add_extensions(app: typer.Typer, extensions: Iterable[EntryPoint]) -> None:
    """Each extension's `register(app)`; one that fails is named on stderr and left out."""
    for extension in extensions:
        try:
            extension.load()(app)
        except Exception as exc:  # a broken extension must not take the platform's own commands with it
            err_console.print(f"[yellow]warning:[/] commands of {extension.value} not loaded: {exc}")


for group in (services, tenants, migrate, demo, audit, sso, assessment, federation, users, web_console):
    group.register(app)
add_extensions(app, entry_points(group=EXTENSIONS))


if __name__ == "__main__":
    app()
