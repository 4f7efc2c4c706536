"""`hotline up / down / status`: bring the platform's services up in order, keep them up, take them down.

Keeping them up is the watchdog's (``embedded.watchdog``), run by the supervisor process
(``embedded.supervisor_process``) that `up --detach` leaves behind, or by `up` itself in the foreground.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from embedded.api_process import ApiServer, WorkerProcess
from embedded.base import Service, ServiceState
from embedded.keycloak import Keycloak
from embedded.nats import Nats
from embedded.postgres import Postgres
from embedded.process import ServiceError
from embedded.supervisor_process import SupervisorProcess
from infra.settings import Settings

Say = Callable[[str], None]


def infrastructure(settings: Settings) -> tuple[Postgres, Nats, Keycloak]:
    return Postgres(settings), Nats(settings), Keycloak(settings)


def platform_services(settings: Settings) -> list[Service]:
    """The services the platform runs on, in start order."""
    pg, nats, kc = infrastructure(settings)
    return [pg, nats, kc, WorkerProcess(settings), ApiServer(settings)]


def watched_services(settings: Settings) -> list[Service]:
    """What the supervisor keeps running: every service of the platform this home runs itself."""
    return [svc for svc in platform_services(settings) if svc.embedded]


def all_services(settings: Settings) -> list[Service]:
    """Every service in start order, the supervisor last; `down` stops them in reverse: the supervisor first,
    so that it does not restart what `down` stops."""
    return [*platform_services(settings), SupervisorProcess(settings)]


@dataclass
class UpResult:
    started: list[Service] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)


def up(settings: Settings, say: Say, *, prepare: Callable[[], None] | None = None,
       with_keycloak: Callable[[], None] | None = None, start_api: bool = True,
       detach_supervisor: bool = False) -> UpResult:
    """Start what is not running, wait for health, run ``prepare`` (migrate + demo), start the worker and
    the API, then run ``with_keycloak`` once Keycloak answers (realm, groups, demo users); with
    ``detach_supervisor``, finally leave a supervisor process running (unless one runs already).

    The worker and the API need the database, not Keycloak (the API fetches the realm's keys when the first
    token comes): they start while Keycloak boots, which takes 20 s and more on a restart.

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
        processes: list[Service] = [WorkerProcess(settings), ApiServer(settings)] if start_api else []
        if detach_supervisor:  # from here on a process that dies is restarted, while Keycloak still boots
            processes.append(SupervisorProcess(settings))
        for process in processes:
            _launch(process, result, say)
        _await(kc, say)
        if with_keycloak:
            with_keycloak()
        for process in processes:
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
    """Each service's state, with what the supervisor's record says it restarted."""
    record = SupervisorProcess(settings).record()
    states = []
    for svc in all_services(settings):
        state = svc.state()
        entry = record.services.get(svc.name) if record else None
        if entry is not None:
            state = replace(state, restarts=entry.restarts, last_restart=entry.last_restart,
                            next_restart=entry.next_restart)
        states.append(state)
    return states
