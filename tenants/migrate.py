"""Migrations: the shared branch once, the tenant branch to every tenant schema in parallel.

Why it is fast and safe at ~2,800 schemas (see PITFALLS.md):
- the versions of all tenants are read first, in a few batched queries, and tenants already
  at head are skipped without opening an Alembic context: a no-op run costs one pass;
- Alembic's script directory is loaded once per worker process, and ``env.py`` is never run
  per tenant; workers are processes because Alembic's ``op``/``context`` proxies are global;
- each tenant migrates in its own transaction (schema creation, DDL, version row, registry
  status) under lock and statement timeouts and a per-tenant advisory lock, so a stuck or
  broken schema fails alone, is reported, and the rest carry on; a re-run resumes.
"""

from __future__ import annotations

import io
import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from infra.compat import upgrade_steps
from infra.settings import Settings
from migrations import MIGRATIONS_DIR, SHARED_VERSIONS, TENANT_VERSIONS
from tenants.codes import validate_code

VERSION_BATCH = 500
SCHEMA_TOKEN = "__tenant_schema__"
# A worker reconnects after this many schemas: a backend that touched many schemas keeps
# their relation caches (~270 MB after all of Henan).
RECONNECT_EVERY = 300
INLINE_MAX = 4


@dataclass(frozen=True)
class TenantResult:
    code: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0


@dataclass
class MigrationReport:
    head: str
    total: int = 0
    up_to_date: int = 0
    migrated: list[TenantResult] = field(default_factory=list)
    failed: list[TenantResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


@lru_cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR), version_locations=[str(SHARED_VERSIONS), str(TENANT_VERSIONS)])


def head(branch: str) -> str:
    """The head revision of the ``shared`` or ``tenant`` branch."""
    rev = script_directory().revision_map.get_current_head(branch)
    if rev is None:
        raise RuntimeError(f"the {branch} branch has no revisions")
    return rev


def _upgrade(connection: Connection, destination: str, version_table_schema: str | None) -> None:
    """Run Alembic's upgrade on an open connection inside the caller's transaction."""
    script = script_directory()

    def fn(rev: Sequence[str], context: object) -> list:
        return upgrade_steps(script, destination, rev)

    with EnvironmentContext(Config(), script, fn=fn, destination_rev=destination) as env:
        env.configure(connection=connection, version_table_schema=version_table_schema,
                      transactional_ddl=True)
        with env.begin_transaction():
            env.run_migrations()


def upgrade_shared(engine: Engine) -> None:
    """Bring the shared schema to the head of the shared branch."""
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline:migrate:shared'))"))
        _upgrade(conn, "shared@head", None)


@lru_cache
def fresh_schema_sql() -> str:
    """The whole tenant branch for an empty schema, as Alembic renders it offline (once per process).

    Provisioning a new tenant runs this script instead of stepping Alembic's ``op`` calls
    again for every schema: the same SQL, without ~10 ms of Python per tenant. Tenant
    revisions must therefore be renderable offline (no reads through ``op.get_bind()``).
    """
    script = script_directory()
    buffer = io.StringIO()

    def fn(rev: object, context: object) -> list:
        return upgrade_steps(script, "tenant@head", None)

    with EnvironmentContext(Config(output_buffer=buffer), script, fn=fn, as_sql=True,
                            destination_rev="tenant@head") as env:
        env.configure(url="postgresql://", version_table_schema=SCHEMA_TOKEN, transactional_ddl=False,
                      output_buffer=buffer, dialect_name="postgresql")
        env.run_migrations()
    return buffer.getvalue()


def migrate_schema(
    conn: Connection, code: str, lock_timeout_ms: int, statement_timeout_ms: int, *, prerendered: bool = True
) -> TenantResult:
    """Migrate one tenant's schema to the tenant head in one transaction; never raises.

    An empty schema gets ``fresh_schema_sql()`` (unless ``prerendered`` is False); a schema
    that has a version table is upgraded online by Alembic from where it is.
    """
    started = time.perf_counter()
    schema = f"t_{validate_code(code)}"
    try:
        with conn.begin():
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"hotline:migrate:{schema}"})
            fresh = conn.execute(text("SELECT to_regclass(:t) IS NULL"), {"t": f"{schema}.alembic_version"}).scalar()
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            # Transaction-scoped: the pooled connection's search_path is untouched after commit.
            conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
            if fresh and prerendered:
                # Straight to the driver: the script holds many statements and no parameters.
                conn.connection.driver_connection.execute(fresh_schema_sql().replace(SCHEMA_TOKEN, schema))
            else:
                _upgrade(conn, "tenant@head", schema)
            conn.execute(
                text("UPDATE public.tenants SET status = 'active', updated_at = now() "
                     "WHERE code = :code AND status = 'provisioning'"),
                {"code": code},
            )
        return TenantResult(code, True, seconds=time.perf_counter() - started)
    except Exception as exc:  # one broken tenant must not stop the run: report it
        with suppress(Exception):
            conn.rollback()
        return TenantResult(code, False, error=_first_line(exc), seconds=time.perf_counter() - started)


def _first_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {msg[0] if msg else ''}"


# ---- reading every tenant's version ---------------------------------------------------------


def tenant_versions(conn: Connection) -> dict[str, str | None]:
    """Map every registered tenant (not disabled) to its schema's tenant revision (None: none yet).

    Uses pg_catalog (information_schema is far slower with thousands of schemas) and a few
    UNION ALL queries of up to VERSION_BATCH schemas each.
    """
    registered = [
        row[0] for row in conn.execute(
            text("SELECT code FROM public.tenants WHERE status <> 'disabled' ORDER BY path")
        )
    ]
    with_table = {
        row[0] for row in conn.execute(text(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'alembic_version' AND c.relkind = 'r' AND n.nspname LIKE 't\\_%'"
        ))
    }
    versions: dict[str, str | None] = dict.fromkeys(registered)
    schemas = [f"t_{validate_code(code)}" for code in registered if f"t_{code}" in with_table]
    for start in range(0, len(schemas), VERSION_BATCH):
        batch = schemas[start:start + VERSION_BATCH]
        sql = " UNION ALL ".join(
            f"(SELECT '{s[2:]}' AS code, version_num FROM \"{s}\".alembic_version LIMIT 1)" for s in batch
        )
        for code, version in conn.exec_driver_sql(sql):
            versions[code] = version
    return versions


def migration_status(engine: Engine) -> dict[str | None, list[str]]:
    """Tenants grouped by the revision their schema is at (None: not provisioned)."""
    with engine.connect() as conn:
        versions = tenant_versions(conn)
    grouped: dict[str | None, list[str]] = {}
    for code, version in versions.items():
        grouped.setdefault(version, []).append(code)
    return grouped


# ---- running across tenants -----------------------------------------------------------------

_worker_engine: Engine | None = None
_worker_conn: Connection | None = None
_worker_uses = 0
_worker_timeouts: tuple[int, int] = (5000, 120000)


def _init_worker(url: str, lock_timeout_ms: int, statement_timeout_ms: int) -> None:
    global _worker_engine, _worker_timeouts
    _worker_engine = create_engine(url, poolclass=NullPool)
    _worker_timeouts = (lock_timeout_ms, statement_timeout_ms)
    fresh_schema_sql()  # load the revision scripts and render the fresh-schema SQL once per process


def _worker_migrate(code: str) -> TenantResult:
    global _worker_conn, _worker_uses
    assert _worker_engine is not None
    if _worker_conn is None or _worker_uses >= RECONNECT_EVERY or _worker_conn.invalidated:
        if _worker_conn is not None:
            with suppress(Exception):
                _worker_conn.close()
        try:
            _worker_conn = _worker_engine.connect()
        except Exception as exc:
            _worker_conn = None
            return TenantResult(code, False, error=_first_line(exc))
        _worker_uses = 0
    _worker_uses += 1
    result = migrate_schema(_worker_conn, code, *_worker_timeouts)
    if not result.ok:
        # After an error the connection may be unusable (e.g. the server restarted): start afresh.
        with suppress(Exception):
            _worker_conn.close()
        _worker_conn = None
    return result


def migrate_tenants(
    settings: Settings,
    engine: Engine,
    codes: Iterable[str] | None = None,
    *,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[TenantResult], None] | None = None,
    workers: int | None = None,
) -> MigrationReport:
    """Bring tenant schemas to the tenant head: all registered tenants, or just ``codes``."""
    started = time.perf_counter()
    target = head("tenant")
    with engine.connect() as conn:
        versions = tenant_versions(conn)
    wanted = list(versions) if codes is None else [validate_code(c) for c in codes]
    unknown = [c for c in wanted if c not in versions]
    if unknown:
        raise ValueError(f"not registered (or disabled): {', '.join(unknown[:10])}")
    pending = [c for c in wanted if versions[c] != target]
    report = MigrationReport(head=target, total=len(wanted), up_to_date=len(wanted) - len(pending))
    if on_start:
        on_start(len(pending))

    def record(result: TenantResult) -> None:
        (report.migrated if result.ok else report.failed).append(result)
        if on_result:
            on_result(result)

    n_workers = max(1, workers or settings.migrate_workers)
    if len(pending) <= INLINE_MAX or n_workers == 1:
        with engine.connect() as conn:
            for code in pending:
                record(migrate_schema(conn, code, settings.migrate_lock_timeout_ms,
                                      settings.migrate_statement_timeout_ms))
    else:
        _run_in_processes(settings, pending, min(n_workers, len(pending)), record)
    report.seconds = time.perf_counter() - started
    return report


def _run_in_processes(settings: Settings, pending: list[str], n_workers: int,
                      record: Callable[[TenantResult], None]) -> None:
    ctx = multiprocessing.get_context("spawn")
    initargs = (settings.sync_database_url, settings.migrate_lock_timeout_ms,
                settings.migrate_statement_timeout_ms)
    with ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_init_worker, initargs=initargs) as pool:
        futures = {pool.submit(_worker_migrate, code): code for code in pending}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # a worker process died: report its tenant, keep going
                result = TenantResult(futures[future], False, error=_first_line(exc))
            record(result)
