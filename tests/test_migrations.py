"""Migrating every tenant: failures stay with their tenant, stuck schemas time out, re-runs resume."""

from __future__ import annotations

import json
from datetime import datetime

import psycopg
import pytest
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from typer.testing import CliRunner

from cli.main import app
from infra.db import sync_engine
from infra.settings import Settings, get_settings
from tenants.divisions import Division, read_province
from tenants.migrate import head, migrate_schema, migrate_tenants, script_directory
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


def _step(settings: Settings, schema: str, destination: str, *, down: bool = False) -> None:
    """Step a schema by Alembic's own revisions to ``destination`` (down to it with ``down``)."""
    script = script_directory()

    def fn(rev: object, context: object) -> list:
        return script._downgrade_revs(destination, rev) if down else script._upgrade_revs(destination, rev)

    engine = sync_engine(settings)
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        with EnvironmentContext(Config(), script, fn=fn, destination_rev=destination) as env:
            env.configure(connection=conn, version_table_schema=schema, transactional_ddl=True)
            with env.begin_transaction():
                env.run_migrations()
    engine.dispose()


# An order's ``extra`` as revision t0004 left it: every kind of state three packages kept there.
KEPT_EXTRA = {
    "auto_urged": True, "auto_escalated": True, "origin_path": "41.4106", "role": "co", "seq_from": {"4106": 3},
    "citizens": [{"number": "410602-20261130-000002", "name": "赵六", "phone": "13903920099", "callback": True}],
    "assess": {"u": 7, "sg": 1, "fin": 1, "od": 1, "otu": 7, "rating": [7, "satisfied", True], "ratu": 7},
}


@pytest.fixture(scope="module")
def before_t0005(module_db: Settings) -> str:
    """A schema at t0004 holding a kept order with all of ``KEPT_EXTRA``, an order merged into it, and the
    events of its automatic urge (督办) and escalation (上报)."""
    schema = "t_order_state"
    _step(module_db, schema, "t0004")
    _sql(module_db, f"""
        SET search_path TO {schema};
        INSERT INTO orders (id, number, query_code, channel, type, title, content, status, extra) OVERRIDING SYSTEM
        VALUE VALUES (1, '410602-20261130-000001', 'Q1', 'phone', 'help', '路灯', '路灯不亮', 'signed',
                      '{json.dumps(KEPT_EXTRA, ensure_ascii=False)}');
        INSERT INTO orders (id, number, query_code, channel, type, title, content, status, citizen_name,
                            citizen_phone, merged_into_id) OVERRIDING SYSTEM VALUE
        VALUES (2, '410602-20261130-000002', 'Q2', 'phone', 'help', '路灯', '路灯不亮', 'merged', '赵六',
                '13903920099', 1);
        INSERT INTO order_events (event_id, order_id, seq, action, to_status, actor, actor_tenant, payload,
                                  occurred_at, hash)
        VALUES (gen_random_uuid(), 1, 1, 'urge', 'signed', 'system:timer', '410602', '{{}}',
                '2026-12-01T09:00:00+08:00', '\\x00'),
               (gen_random_uuid(), 1, 2, 'escalate', 'escalated', 'system:timer', '410602',
                '{{"automatic": true}}', '2026-12-02T09:00:00+08:00', '\\x00')""")
    return schema


def test_t0005_moves_each_kind_of_state_out_of_extra_into_its_own_column(
        module_db: Settings, before_t0005: str) -> None:
    _step(module_db, before_t0005, "t0005")
    kept, merged = _sql(module_db, f"""
        SELECT auto_urged_at, auto_escalated_at, origin_path, origin_role, received_seq, merged_count,
               assessment_state FROM {before_t0005}.orders ORDER BY id""")
    assert kept == (datetime.fromisoformat("2026-12-01T09:00:00+08:00"),
                    datetime.fromisoformat("2026-12-02T09:00:00+08:00"), "41.4106", "co", {"4106": 3}, 1,
                    {"holding_unit": 7, "signed": True, "closed": True, "overdue": True, "closed_on_time_unit": 7,
                     "rating": [7, "satisfied", True], "rated_unit": 7})
    assert merged == (None, None, None, None, None, 0, None)
    assert _sql(module_db, f"SELECT 1 FROM information_schema.columns WHERE table_schema = '{before_t0005}' "
                           "AND table_name = 'orders' AND column_name = 'extra'") == []


def test_t0005_downgraded_puts_the_same_state_back_into_extra(module_db: Settings, before_t0005: str) -> None:
    _step(module_db, before_t0005, "t0005")
    _step(module_db, before_t0005, "t0004", down=True)
    assert _sql(module_db, f"SELECT extra FROM {before_t0005}.orders ORDER BY id") == [(KEPT_EXTRA,), ({},)]
