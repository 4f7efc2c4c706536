"""`hotline console`: the web console (console/, Vue 3): its OpenAPI input and its build.

The console's API client is generated from the platform's own OpenAPI document (openapi-typescript), so the
build writes that document first; `npm ci` runs when package-lock.json changed since the last install.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import typer

from cli.output import console, err_console

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
console_app = typer.Typer(help="The web console (console/).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(console_app, name="console")


def write_openapi(target: Path) -> None:
    """The API's OpenAPI document as the console's client generator reads it."""
    from app.factory import create_app  # the whole app: only when the document is asked for

    document = json.dumps(create_app().openapi(), ensure_ascii=False, indent=1, sort_keys=True)
    if not target.exists() or target.read_text(encoding="utf-8") != document:
        target.write_text(document, encoding="utf-8")


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        err_console.print("[red]npm not found:[/] install Node.js 20 (with npm), then run this again")
        raise typer.Exit(1)
    subprocess.run([npm, *args], cwd=CONSOLE_DIR, check=True)


def install_packages() -> None:
    """`npm ci` unless node_modules already holds this lockfile's packages."""
    lock = (CONSOLE_DIR / "package-lock.json").read_bytes()
    stamp = CONSOLE_DIR / "node_modules" / ".lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    _npm("ci", "--no-audit", "--no-fund")
    stamp.write_text(digest)


def precompress(dist: Path) -> int:
    """A .gz beside each script, style sheet and page, so the API sends them compressed without work per request."""
    count = 0
    for path in dist.rglob("*"):
        if path.suffix in {".js", ".css", ".html", ".svg", ".json"} and path.is_file():
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), 9, mtime=0))
            count += 1
    return count


@console_app.command("openapi")
def openapi_command(out: Path = typer.Option(CONSOLE_DIR / "openapi.json", help="where to write it")) -> None:
    """Write the API's OpenAPI document (the console's client is generated from it)."""
    write_openapi(out)
    console.print(f"OpenAPI document: {out}")


@console_app.command("build")
def build_command(check: bool = typer.Option(False, "--check", help="type-check the console too (vue-tsc)")) -> None:
    """npm ci (when the lockfile changed), the OpenAPI document, the client, then vite build into console/dist."""
    try:
        install_packages()
        write_openapi(CONSOLE_DIR / "openapi.json")
        if check:
            _npm("run", "typecheck")
        _npm("run", "build")
        precompress(CONSOLE_DIR / "dist")
    except subprocess.CalledProcessError as exc:
        err_console.print(f"[red]console build failed[/] ({' '.join(map(str, exc.cmd))}): see the output above")
        raise typer.Exit(1) from None
    console.print(f"console built: {CONSOLE_DIR / 'dist'} (served at /console/)")
