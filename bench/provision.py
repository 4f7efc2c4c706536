"""`hotline bench provision`: a whole province into a fresh database, against raw DDL in the same run.

Ours: `tenants import` (registry rows, then every schema created and migrated by the
parallel runner). Floor: the very SQL the tenant branch renders for one new schema,
executed raw for every schema over one connection, one transaction per schema. Then a
no-op `migrate` over all tenants. Both databases are created fresh and dropped afterwards.
"""

from __future__ import annotations

import json
import platform
import time

import psycopg

from bench.scratch import scratch_database
from infra.db import sync_engine
from infra.settings import Settings
from tenants.divisions import read_province
from tenants.migrate import SCHEMA_TOKEN, fresh_schema_sql, migrate_tenants, upgrade_shared
from tenants.service import import_divisions


def run(settings: Settings, *, province: str = "41", json_out: bool = False) -> dict[str, object]:
    """Run the benchmark, print a summary (and JSON), and return the numbers."""
    from cli.output import console, migration_progress

    divisions = read_province(settings.divisions_dir, province)
    codes = [d.code for d in divisions]
    with scratch_database(settings, "bench_ours") as bench_settings:
        engine = sync_engine(bench_settings)
        with migration_progress(f"provisioning {len(codes)} tenants") as (on_start, on_result):
            t0 = time.perf_counter()
            upgrade_shared(engine)
            report = import_divisions(bench_settings, engine, divisions, on_start=on_start, on_result=on_result)
            seconds = time.perf_counter() - t0
        if report.migration.failed:
            raise RuntimeError(f"{len(report.migration.failed)} tenants failed: {report.migration.failed[:3]}")
        t0 = time.perf_counter()
        noop = migrate_tenants(bench_settings, engine)
        noop_seconds = time.perf_counter() - t0
        assert not noop.migrated and noop.up_to_date == len(codes)
        engine.dispose()

    ddl = fresh_schema_sql()
    with scratch_database(settings, "bench_raw") as raw_settings, \
            psycopg.connect(raw_settings.postgres_url, autocommit=True) as conn:
        t0 = time.perf_counter()
        for code in codes:
            schema = f"t_{code}"
            conn.execute(
                f'BEGIN; CREATE SCHEMA "{schema}"; SET LOCAL search_path TO "{schema}"; '
                + ddl.replace(SCHEMA_TOKEN, schema) + "; COMMIT;"
            )
        raw_seconds = time.perf_counter() - t0

    result = {
        "tenants": len(codes),
        "seconds": round(seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "ratio": round(seconds / raw_seconds, 3),
        "noop_migrate_seconds": round(noop_seconds, 2),
        "workers": settings.migrate_workers,
        "fsync": settings.pg_fsync,
        "machine": f"{platform.machine()}, {_cpus()} cores",
    }
    console.print(
        f"tenants {result['tenants']}: provisioned in {seconds:.1f}s ({len(codes) / seconds:.0f}/s), "
        f"raw DDL {raw_seconds:.1f}s ({len(codes) / raw_seconds:.0f}/s), ratio {result['ratio']:.2f}; "
        f"no-op migrate {noop_seconds:.2f}s"
    )
    if json_out:
        print(json.dumps(result))
    return result


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
