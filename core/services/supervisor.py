"""`hotline up / down / status`: bring the platform's services up in order and take them down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.config import Settings
from core.services.api_process import ApiServer, WorkerProcess
from core.services.base import Service, ServiceState
from core.services.keycloak import Keycloak
from core.services.nats import Nats
from core.services.postgres import Postgres
from core.services.process import ServiceError

Say = Callable[[str], None]


def infrastructure(settings: Settings) -> tuple[Postgres, Nats, Keycloak]:
    return Postgres(settings), Nats(settings), Keycloak(settings)


def all_services(settings: Settings) -> list[Service]:
    """Every service in start order; `down` stops them in reverse."""
    pg, nats, kc = infrastructure(settings)
    return [pg, nats, kc, WorkerProcess(settings), ApiServer(settings)]


@dataclass
class UpResult:
    started: list[Service] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)


def up(settings: Settings, say: Say, *, prepare: Callable[[], None] | None = None,
       with_keycloak: Callable[[], None] | None = None, start_api: bool = True) -> UpResult:
    """Start what is not running, wait for health, run ``prepare`` (migrate + demo), then
    ``with_keycloak`` once Keycloak answers (realm, groups, demo users), then start the API.

    Idempotent: what already runs is left alone. On failure, what this call started is stopped
    again and a ServiceError says what went wrong.
    """
    result = UpResult()
    pg, nats, kc = infrastructure(settings)
    try:
        # Keycloak is the slowest to start: launch it first so it boots while we migrate.
        for svc in (kc, pg, nats):
            _launch(svc, result, say)
        for svc in (pg, nats):
            _await(svc, say)
        if pg.embedded:
            pg.ensure_database()
        if prepare:
            prepare()
        _await(kc, say)
        if with_keycloak:
            with_keycloak()
        if start_api:
            for process in (WorkerProcess(settings), ApiServer(settings)):
                _launch(process, result, say)
                _await(process, say)
    except BaseException:
        for svc in reversed(result.started):
            svc.stop()
        raise
    return result


def _launch(svc: Service, result: UpResult, say: Say) -> None:
    if not svc.embedded:
        say(f"{svc.name}: using {svc.url}")
        return
    if svc.start():
        result.started.append(svc)
        say(f"{svc.name}: starting on {svc.url}")
    else:
        result.already_running.append(svc.name)
        say(f"{svc.name}: already running (pid {svc.pid()})")


def _await(svc: Service, say: Say) -> None:
    if not svc.embedded and not svc.healthy():
        raise ServiceError(f"{svc.name} at {svc.url} does not answer: check the URL or start it")
    svc.wait_healthy()
    say(f"{svc.name}: ready")


def down(settings: Settings, say: Say) -> list[str]:
    """Stop every embedded service this home runs, API first, database last."""
    stopped = []
    for svc in reversed(all_services(settings)):
        if svc.embedded and svc.stop():
            stopped.append(svc.name)
            say(f"{svc.name}: stopped")
    return stopped


def status(settings: Settings) -> list[ServiceState]:
    return [svc.state() for svc in all_services(settings)]
