"""The tenant tree: importing a whole city subtree, adding a tenant, and what is refused."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app
from infra.settings import Settings
from tests.divisions_fixture import subtree_codes

runner = CliRunner()
CITY = "4101"  # 郑州市: 1 city, its districts and 200+ towns and streets
TENANT_TABLES = {"units", "orders", "order_events", "order_assignments", "order_links", "attachments", "routing_rules",
                 "alembic_version"}


@pytest.fixture(scope="module")
def imported(module_db: Settings) -> Settings:
    result = runner.invoke(app, ["tenants", "import", "--province", "41", "--city", CITY])
    assert result.exit_code == 0, result.output
    return module_db


def _rows(settings: Settings, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(settings.postgres_url) as conn:
        return conn.execute(sql, params or None).fetchall()


def test_import_registers_every_division_of_the_city_subtree(imported: Settings) -> None:
    expected = subtree_codes(imported.divisions_dir, CITY)
    registered = {code for (code,) in _rows(imported, "SELECT code FROM tenants")}
    assert registered == expected
    levels = dict(_rows(imported, "SELECT level, count(*) FROM tenants GROUP BY level"))
    assert levels["province"] == 1 and levels["city"] == 1
    assert levels["district"] == sum(1 for c in expected if len(c) == 6)
    assert levels["town"] == sum(1 for c in expected if len(c) == 9)


def test_import_records_parent_path_and_schema_of_each_tenant(imported: Settings) -> None:
    [(parent, path, schema, depth)] = _rows(
        imported, "SELECT parent_code, path, schema_name, depth FROM tenants WHERE code = '410102001'")
    assert (parent, path, schema, depth) == ("410102", "41/4101/410102/410102001", "t_410102001", 3)


def test_import_provisions_every_schema_with_the_tenant_tables(imported: Settings) -> None:
    rows = _rows(imported, """
        SELECT n.nspname, array_agg(c.relname::text) FROM pg_namespace n
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind = 'r'
        WHERE n.nspname LIKE 't\\_%' GROUP BY n.nspname""")
    expected = {f"t_{c}" for c in subtree_codes(imported.divisions_dir, CITY)}
    assert {schema for schema, _ in rows} == expected
    assert all(set(tables) == TENANT_TABLES for _, tables in rows)
    statuses = _rows(imported, "SELECT DISTINCT status FROM tenants")
    assert statuses == [("active",)]


def test_importing_again_changes_nothing(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "import", "--province", "41", "--city", CITY])
    assert result.exit_code == 0, result.output
    assert "0 newly registered" in result.output
    assert "0 migrated" in result.output


def test_tree_command_shows_children_with_counts(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "tree", "410102"])
    assert result.exit_code == 0, result.output
    assert "410102 中原区" in result.output
    assert "410102001" in result.output


def test_adding_a_new_street_provisions_just_its_schema(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "add", "410102901", "新城街道"])
    assert result.exit_code == 0, result.output
    [(status, parent)] = _rows(imported, "SELECT status, parent_code FROM tenants WHERE code = '410102901'")
    assert (status, parent) == ("active", "410102")
    tables = _rows(imported, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = 't_410102901' AND c.relkind = 'r'")
    assert tables == [(len(TENANT_TABLES),)]


@pytest.mark.parametrize("code", ["41x", "4", "41010", "4101020011", "0101"])
def test_adding_a_malformed_code_is_refused_with_the_rule(imported: Settings, code: str) -> None:
    result = runner.invoke(app, ["tenants", "add", code, "某地"])
    assert result.exit_code == 1
    assert "GB/T 2260" in result.output


def test_adding_under_an_unknown_parent_is_refused(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "add", "410199001", "无父街道"])
    assert result.exit_code == 1
    assert "unknown parent 410199" in result.output
    assert _rows(imported, "SELECT 1 FROM tenants WHERE code = '410199001'") == []


def test_adding_an_existing_tenant_is_refused(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "add", "4101", "郑州市"])
    assert result.exit_code == 1
    assert "already registered" in result.output


def test_importing_a_city_of_another_province_is_refused(imported: Settings) -> None:
    result = runner.invoke(app, ["tenants", "import", "--province", "41", "--city", "4201"])
    assert result.exit_code == 2
    assert "not a city of province 41" in result.output


def test_tree_relations_follow_the_code_prefixes() -> None:
    from tenants.codes import is_descendant, lineage, parent_of

    assert lineage("410102001") == ["41", "4101", "410102", "410102001"]
    assert parent_of("410102001") == "410102" and parent_of("41") is None
    assert is_descendant("410102001", "4101") and is_descendant("4101", "41")
    assert not is_descendant("4101", "4101")  # a node is not its own descendant
    assert not is_descendant("410202001", "4101")  # a sibling city's town
    assert not is_descendant("41", "4101")
