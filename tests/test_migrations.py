"""Migrating every tenant: failures stay with their tenant, stuck schemas time out, re-runs resume."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app
from infra.db import sync_engine
from infra.settings import Settings, get_settings
from tenants.divisions import Division, read_province
from tenants.migrate import head, migrate_schema, migrate_tenants
from tenants.service import add_tenant, register

runner = CliRunner()
CITY = "4106"  # 鹤壁市: a small city, about 60 tenants


@pytest.fixture(scope="module")
def registered(module_db: Settings) -> Settings:
    """The city subtree registered but not provisioned (as after an interrupted import)."""
    engine = sync_engine(module_db)
    register(engine, read_province(module_db.divisions_dir, "41", cities=[CITY]))
    engine.dispose()
    return module_db


def _sql(settings: Settings, sql: str) -> list[tuple]:
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def _status(settings: Settings, code: str) -> str:
    return _sql(settings, f"SELECT status FROM tenants WHERE code = '{code}'")[0][0]


def test_a_broken_tenant_fails_alone_and_the_rest_are_migrated(registered: Settings) -> None:
    # Sabotage one schema: a table named like one of ours, with other columns.
    _sql(registered, "CREATE SCHEMA t_410602; CREATE TABLE t_410602.units (nonsense int)")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "failed 410602" in result.output
    assert "1 failed" in result.output
    assert _status(registered, "410602") == "provisioning"
    at_head = _sql(registered, "SELECT count(*) FROM tenants WHERE status = 'active'")[0][0]
    total = _sql(registered, "SELECT count(*) FROM tenants")[0][0]
    assert at_head == total - 1
    # The failed tenant's transaction rolled back whole: no half-made tables are left behind.
    tables = _sql(registered, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = 't_410602' AND c.relkind = 'r'")
    assert tables == [("units",)]


def test_rerun_after_the_fix_migrates_only_the_failed_tenant(registered: Settings) -> None:
    _sql(registered, "DROP TABLE t_410602.units")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "1 migrated" in result.output
    assert _status(registered, "410602") == "active"


def test_a_schema_locked_by_another_transaction_times_out_and_the_run_carries_on(
    registered: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(sync_engine(registered), read_province(registered.divisions_dir, "41", cities=["4111"]))
    monkeypatch.setenv("HOTLINE_MIGRATE_LOCK_TIMEOUT_MS", "300")
    get_settings.cache_clear()
    blocker = psycopg.connect(registered.postgres_url)
    try:
        # An open transaction that is creating the same schema: our CREATE SCHEMA must wait for it.
        blocker.execute("CREATE SCHEMA t_411102")
        result = runner.invoke(app, ["migrate"])
    finally:
        blocker.rollback()
        blocker.close()
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "failed 411102" in result.output
    assert "lock timeout" in result.output
    assert _status(registered, "411103") == "active"
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert _status(registered, "411102") == "active"


def test_migrate_with_every_tenant_current_applies_nothing(registered: Settings) -> None:
    engine = sync_engine(registered)
    report = migrate_tenants(registered, engine)
    engine.dispose()
    assert report.ok
    assert report.migrated == []
    assert report.up_to_date == report.total > 0


def test_migrate_status_shows_every_tenant_at_head(registered: Settings) -> None:
    result = runner.invoke(app, ["migrate", "status"])
    assert result.exit_code == 0, result.output
    total = _sql(registered, "SELECT count(*) FROM tenants")[0][0]
    assert head("tenant") in result.output
    assert str(total) in result.output


def test_migrate_status_exits_nonzero_while_a_tenant_is_behind(registered: Settings) -> None:
    _sql(registered, "UPDATE t_410602.alembic_version SET version_num = 'older'")
    try:
        result = runner.invoke(app, ["migrate", "status", "--verbose"])
        assert result.exit_code == 1
        assert "behind" in result.output and "410602" in result.output
    finally:
        _sql(registered, f"UPDATE t_410602.alembic_version SET version_num = '{head('tenant')}'")


def _catalog(settings: Settings, schema: str) -> list[tuple]:
    """Tables, columns, types, defaults, constraints and indexes of a schema, names made comparable."""
    return _sql(settings, f"""
        SELECT 'column', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = '{schema}' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'constraint', c.relname, k.conname, replace(pg_get_constraintdef(k.oid), '{schema}.', ''), '', ''
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '{schema}'
        UNION ALL
        SELECT 'index', i.tablename, i.indexname, replace(i.indexdef, '{schema}.', ''), '', ''
        FROM pg_indexes i WHERE i.schemaname = '{schema}'
        ORDER BY 1, 2, 3""")


def test_a_fresh_schema_from_the_rendered_script_equals_one_stepped_by_alembic(registered: Settings) -> None:
    engine = sync_engine(registered)
    assert add_tenant(registered, engine, "410602901", "脚本街道").ok  # the pre-rendered path
    register(engine, [Division("410602902", "逐步街道")])
    with engine.connect() as conn:
        result = migrate_schema(conn, "410602902", 5000, 60000, prerendered=False)
    engine.dispose()
    assert result.ok, result.error
    assert _catalog(registered, "t_410602901") == _catalog(registered, "t_410602902")
