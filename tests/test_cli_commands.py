"""The `hotline` command: the platform's command groups, and the benchmarks' commands added from outside it."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import typer
from typer.testing import CliRunner

from cli.main import EXTENSIONS, add_extensions, app

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_COMMANDS = ("up", "supervise", "down", "status", "worker", "serve", "tenants", "migrate", "demo", "audit",
                     "sso", "iam", "assessment", "federation", "users")


def test_every_command_of_the_platform_is_listed() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listed = {line.strip("│ ").split(" ")[0] for line in result.output.splitlines()}
    assert set(PLATFORM_COMMANDS) <= listed


def test_the_benchmarks_add_their_commands_through_the_entry_point_of_their_own_distribution() -> None:
    (bench,) = [e for e in entry_points(group=EXTENSIONS) if e.name == "bench"]
    assert bench.value == "bench.commands:register"
    assert bench.dist is not None and bench.dist.name == "hotline-bench"
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "intake" in result.output


def test_the_platforms_wheel_leaves_the_benchmarks_out() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [pattern for pattern in included if pattern.startswith("bench")]


def test_an_extension_that_cannot_load_is_left_out_and_the_others_still_register() -> None:
    cli = typer.Typer()
    cli.command()(lambda: None)
    add_extensions(cli, [EntryPoint("broken", "no_such_module:register", EXTENSIONS),
                         EntryPoint("bench", "bench.commands:register", EXTENSIONS)])
    assert CliRunner().invoke(cli, ["bench", "--help"]).exit_code == 0
