"""One vocabulary (issue 33, item 8): every enum the API's document carries has its Chinese in the console, every
refusal the API can answer has a documented code with its Chinese, every event kind the code writes is one of the
vocabulary, and the database's CHECKs say the same words.

The console's label tables are read as text (console/src/labels/*.ts: ``Record<Schemas['X'], …> = {`` with one entry
per line), so this fails without building the console; ``hotline console build --check`` fails on the same gap.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from core.orders.lifecycle import AssignmentRole, EventKind, LinkKind, OrderAction
from core.units.models import UnitKind
from core.vocabulary import Urgency
from infra.error_codes import ErrorCode
from infra.refusals import DomainError
from tenants.codes import Level
from tenants.models import TenantStatus

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "console" / "src" / "labels"
PACKAGES = ("app", "cli", "core", "embedded", "federation", "iam", "infra", "sso", "tenants")
# Enums of the document no person reads, each with why (none today): the test asks every other one for its table.
NOT_SHOWN: dict[str, str] = {}

_TABLE = re.compile(r"Record<Schemas\['(\w+)'\],[^>]*>\s*=\s*\{\n(.*?)\n\}", re.S)
_ENTRY = re.compile(r"^  (['\"]?)([\w-]+)\1\s*:", re.M)


@cache
def document() -> dict[str, Any]:
    from app.factory import create_app
    from infra.settings import Settings

    return create_app(Settings()).openapi()


def document_enums() -> dict[str, list[str]]:
    return {name: schema["enum"] for name, schema in document()["components"]["schemas"].items() if "enum" in schema}


def label_tables(folder: Path = LABELS) -> dict[str, set[str]]:
    """Every ``Record<Schemas['X'], …>`` table of the console's labels: the enum's name → the values it labels."""
    tables: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.ts")):
        for name, body in _TABLE.findall(path.read_text(encoding="utf-8")):
            assert name not in tables, f"{name} has two label tables ({path.name}): one table per enum"
            tables[name] = {key for _, key in _ENTRY.findall(body)}
    return tables


def missing_labels(enums: dict[str, list[str]], tables: dict[str, set[str]]) -> dict[str, list[str]]:
    """The values of each enum the console has no label for (an enum without a table: all of them)."""
    return {name: missing for name, values in enums.items() if name not in NOT_SHOWN
            and (missing := [v for v in values if v not in tables.get(name, set())])}


def test_every_enum_of_the_document_has_a_label_for_every_value() -> None:
    assert missing_labels(document_enums(), label_tables()) == {}


def test_no_label_table_names_a_value_the_server_does_not_have() -> None:
    enums = document_enums()
    stale = {name: sorted(keys - set(enums.get(name, ()))) for name, keys in label_tables().items()}
    assert {name: keys for name, keys in stale.items() if keys} == {}


def test_a_value_added_to_a_server_enum_without_its_label_is_caught(tmp_path: Path) -> None:
    """The check above is not vacuous: a copy of the labels that lacks one status is found out."""
    for path in LABELS.glob("*.ts"):
        text = path.read_text(encoding="utf-8")
        (tmp_path / path.name).write_text(text.replace("  merged: '已合并',\n", "", 1), encoding="utf-8")
    enums = document_enums()
    assert missing_labels(enums, label_tables(tmp_path))["OrderStatus"] == ["merged"]
    assert missing_labels({**enums, "Urgency": [*enums["Urgency"], "routine"]}, label_tables()) == {
        "Urgency": ["routine"]}


def test_the_error_body_documents_its_code_as_the_error_code_enum() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["error"]["$ref"] == "#/components/schemas/ErrorCode"
    assert schemas["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
    assert "params" in schemas["ErrorBody"]["properties"]


def test_every_error_code_has_its_chinese_sentence() -> None:
    assert sorted(set(ErrorCode) - label_tables()["ErrorCode"]) == []


def _all_modules() -> None:
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(info.name)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_refusal_the_code_can_raise_has_a_documented_code() -> None:
    _all_modules()
    wrong = [f"{cls.__module__}.{cls.__qualname__}: {cls.code!r}" for cls in _subclasses(DomainError)
             if not isinstance(cls.code, ErrorCode)]
    assert wrong == []


def _sources() -> list[Path]:
    return [path for package in PACKAGES for path in (REPO / package).rglob("*.py")]


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def test_every_http_refusal_names_its_code_from_the_enum() -> None:
    """``ApiError(status, ErrorCode.x, …)``: a bare string would be a code no client was told of."""
    wrong = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "ApiError" and len(node.args) >= 2:
                code = node.args[1]
                if not (isinstance(code, ast.Attribute) and _name(code.value) == "ErrorCode"
                        and code.attr in ErrorCode.__members__):
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert wrong == []


# Where a step names its event kind: the position of the kind among each writer's arguments.
_WRITERS = {"record": 2, "append": 3, "superseded": 3, "append_event": None, "new_event": None}


def test_every_event_kind_the_code_writes_is_of_the_vocabulary() -> None:
    kinds = {kind.value for kind in EventKind}
    written, wrong = set(), []
    for path in (REPO / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _name(node.func) in _WRITERS):
                continue
            at = _WRITERS[_name(node.func)]
            given = [k.value for k in node.keywords if k.arg == "action"]
            if at is not None and len(node.args) > at:
                given.append(node.args[at])
            for arg in given:
                value = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(arg, ast.Attribute) and _name(arg.value) in ("Action", "OrderAction", "EventKind"):
                    value = (OrderAction if _name(arg.value) != "EventKind" else EventKind)[arg.attr].value
                if isinstance(value, str):
                    written.add(value)
                    if value not in kinds:
                        wrong.append(f"{path.relative_to(REPO)}:{node.lineno} {value}")
    assert wrong == []
    # The steps no person takes here are among them, and every action is an event kind.
    assert {"dispatch-received", "withdraw", "merged-in", "overdue", "urge", "revisit"} <= written
    assert {action.value for action in OrderAction} <= kinds


_CHECK = re.compile(r"""CheckConstraint\(\s*"(\w+) IN \(([^)]*)\)"\s*,\s*name="(\w+)"\)""")


@pytest.mark.parametrize(("constraint", "enum"), [
    ("ck_orders_urgency", Urgency), ("ck_order_assignments_role", AssignmentRole), ("ck_order_links_kind", LinkKind),
    ("ck_units_kind", UnitKind), ("ck_tenants_level", Level), ("ck_tenants_status", TenantStatus)])
def test_the_databases_checks_allow_exactly_the_vocabulary(constraint: str, enum: type[StrEnum]) -> None:
    found = {name: {v.strip().strip("'") for v in values.split(",")}
             for path in (REPO / "migrations" / "versions").rglob("*.py")
             for _, values, name in _CHECK.findall(path.read_text(encoding="utf-8"))}
    assert found[constraint] == {member.value for member in enum}
