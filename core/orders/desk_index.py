"""The 督办 desk's index (``public.desk_records``, migration s0021): one row per order record, kept by the facts.

Every event of every record makes an assessment fact (``core.orders.facts``); each fact carries the record's state
after the event for the desk (``desk_state``: who holds it, its deadline, category, area, urges, what makes it a
matter for supervision). The assessment consumer hands each batch's new facts here (``apply``), in its own
transaction: the newest state of each record is written, and a fact older than the row's (``seq``) changes
nothing, so facts arriving late or twice leave the newest state. ``refresh`` writes the rows from the records
themselves (``hotline assessment rebuild``: records older than the index, or facts lost).

The desk reads it in ``core.orders.supervise``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

from core.orders.facts import desk_state
from core.orders.lifecycle import OPEN
from core.orders.models import Order, transient
from tenants.codes import validate_code

_OPEN = frozenset(s.value for s in OPEN)
_COLUMNS = (("tenant_code", "text"), ("order_id", "bigint"), ("seq", "integer"), ("number", "text"),
            ("root_number", "text"), ("origin_len", "smallint"), ("status", "text"), ("is_open", "boolean"),
            ("holds", "boolean"), ("co_part", "boolean"), ("holder_unit", "bigint"), ("deadline", "timestamptz"),
            ("category", "text"), ("division", "text"), ("urge_count", "integer"), ("urges_waiting", "integer"),
            ("urge_due", "timestamptz"), ("last_urged_at", "timestamptz"), ("reopen_count", "integer"),
            ("unsatisfied", "boolean"), ("overdue_at", "timestamptz"))
_NAMES = ", ".join(name for name, _ in _COLUMNS)
_UPSERT = (
    f"INSERT INTO public.desk_records ({_NAMES}) SELECT * FROM unnest("
    + ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(_COLUMNS, start=1))
    + f") AS s({_NAMES}) ORDER BY tenant_code, order_id ON CONFLICT (tenant_code, order_id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _COLUMNS[2:])
    + " WHERE public.desk_records.seq < EXCLUDED.seq")


def _json(value: Any) -> Any:
    """A JSON column as a plain connection hands it over (text, without the application's codecs)."""
    return orjson.loads(value) if isinstance(value, str) else value


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def row_of(tenant: str, order_id: int, seq: int, origin_len: int, desk: dict[str, Any]) -> tuple[Any, ...]:
    """The index row of a record from its desk state (``core.orders.facts.desk_state``)."""
    status = str(desk["status"])
    return (tenant, order_id, seq, desk["number"], desk["root"], origin_len, status, status in _OPEN,
            bool(desk["holds"]), bool(desk["co"]), desk.get("unit"), _time(desk.get("deadline")), desk.get("category"),
            desk.get("division"), int(desk.get("urges") or 0), int(desk.get("waiting") or 0), _time(desk.get("due")),
            _time(desk.get("urged_at")), int(desk.get("reopened") or 0), bool(desk.get("unsatisfied")),
            _time(desk.get("overdue_at")))


async def write(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Upsert the rows (one statement, each column as an array), each only over an older state of its record."""
    newest: dict[tuple[str, int], tuple[Any, ...]] = {}
    for row in rows:  # one row per record: a statement may not change the same row twice
        key = (row[0], row[1])
        if key not in newest or newest[key][2] < row[2]:
            newest[key] = row
    if newest:
        await conn.execute(_UPSERT, *(list(column) for column in zip(*newest.values(), strict=True)))


async def apply(conn: asyncpg.Connection, facts: list[dict[str, Any]]) -> None:
    """The desk's part of a batch of new facts (facts without one, sent before the desk was kept, are skipped)."""
    await write(conn, [row_of(f["t"], int(f["o"]), int(f["s"]), int(f["ol"]), f["desk"])
                       for f in facts if isinstance(f.get("desk"), dict)])


SCHEMAS_PER_QUERY = 100


async def refresh(conn: asyncpg.Connection, codes: list[str]) -> int:
    """Write the index rows of every record of these tenants from the records themselves (their state now, at
    their last event's seq); returns how many records were read."""
    columns = ("id", "number", "root_number", "status", "assigned_tenant", "lead_unit_id", "co_part", "origin_role",
               "handle_deadline", "category", "division_code", "urge_count", "urges", "reopen_count", "satisfaction",
               "assessment_state", "origin_tenant", "event_seq")
    read = 0
    for start in range(0, len(codes), SCHEMAS_PER_QUERY):
        chunk = codes[start:start + SCHEMAS_PER_QUERY]
        sql = " UNION ALL ".join(
            f"(SELECT '{code}'::text AS t, {', '.join(columns)} FROM \"t_{validate_code(code)}\".orders)"
            for code in chunk)
        rows = []
        for record in await conn.fetch(sql):
            order = transient(Order, {c: _json(record[c]) if c in ("urges", "assessment_state") else record[c]
                                      for c in columns})
            origin_len = len(order.origin_tenant) if order.origin_tenant else 0
            rows.append(row_of(record["t"], order.id, order.event_seq or 0, origin_len, desk_state(order)))
        read += len(rows)
        await write(conn, rows)
    return read
