"""Order and assignment rows on the session's own asyncpg connection: the lifecycle's store.

Every lifecycle step (``core.orders.service``) and every message applied from another level
(``core.orders.crosslevel``) locks an order, reads its assignments, changes them and writes them
back. Through the ORM each of those statements cost the client 3–5× what the same statement costs
on the driver (``hotline bench statements``), and the unit of work's flush as much again: on two
cores, most of what a dispatch chain cost above its floor. So this module reads those rows with
plain asyncpg, on the connection and inside the transaction of the caller's session, into plain
(transient) ``Order`` and ``Assignment`` objects that the rules change as before; at commit
``infra.commit`` writes whatever is new or changed in the transaction's one closing statement.

Locking an order reads its assignments in the same round trip; from then on the transaction's
``RowStore`` answers for them. Within a transaction the same row is always the same object, so two
changes to one row cannot overwrite each other, and what a step added is seen by the reads after
it. Only this module writes orders and assignments during a step: register (受理) still inserts its
new order through the ORM, which flushes before the closing statement.

A step may instead read its orders *unlocked* (``unlock``), outside any transaction, and write each
order only if its row is still the version it read (PostgreSQL's ``xmin``): the step then costs no
BEGIN and no COMMIT, a round trip each, and holds no lock while it decides. If an order changed
meanwhile, nothing is written (``WriteConflict``) and the caller does the step again, locked
(``core.orders.service.act_and_commit``; the consumers' careful path).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
import orjson
from sqlalchemy import DateTime
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.orders.models import Assignment, Order, OrderEvent, transient
from infra.db import TENANT_SCHEMA_KEY, UNLOCKED_KEY, driver_connection

ORDER_COLUMNS = tuple(c.key for c in Order.__table__.columns if c.key != "search")  # search: written, never read
ASSIGNMENT_COLUMNS = tuple(c.key for c in Assignment.__table__.columns)
EVENT_COLUMNS = tuple(c.key for c in OrderEvent.__table__.columns if c.key != "id")  # the id: drawn by the table
_ASSIGNMENT_TIMES = tuple(c.key for c in Assignment.__table__.columns if isinstance(c.type, DateTime))
_STORE = "row_store"
_Row = TypeVar("_Row", Order, Assignment)


@dataclass
class RowStore:
    """The orders and assignments one transaction has read or added (an identity map), and their values
    when read, to tell which changed. As with the ORM, a JSON column is changed by giving it a new value,
    never in place."""

    schema: str
    connection: asyncpg.Connection
    unlocked: bool = False  # orders read without a lock, and written only if unchanged since (``unlock``)
    orders: dict[int, tuple[Order, tuple[Any, ...]]] = field(default_factory=dict)
    versions: dict[int, str] = field(default_factory=dict)  # order id → the row version read (unlocked)
    assignments: dict[int, tuple[Assignment, tuple[Any, ...]]] = field(default_factory=dict)
    # Every assignment of each order read or added, oldest first, those added in this transaction last.
    assignments_of: dict[int, list[Assignment]] = field(default_factory=dict)
    new_orders: list[tuple[Order, str]] = field(default_factory=list)  # with the text it is searched by
    new_assignments: list[Assignment] = field(default_factory=list)

    def writes(self) -> Iterator[tuple[str, str]]:
        """What the transaction's closing statement writes: (kind, JSON rows), for each kind with rows."""
        changed_orders = [o for o, seen in self.orders.values()
                          if o.id not in self.versions and _values(o, ORDER_COLUMNS) != seen]
        # Every order read unlocked is written, changed or not: its write is what checks its version.
        guarded = [o for o, _ in self.orders.values() if o.id in self.versions]
        changed = [a for a, seen in self.assignments.values() if _values(a, ASSIGNMENT_COLUMNS) != seen]
        if self.new_orders:
            yield "new_orders", _json([{**_row(o, ORDER_COLUMNS), "_search": text} for o, text in self.new_orders])
        if guarded:
            yield "guarded_orders", _json([{**_row(o, ORDER_COLUMNS), "_version": self.versions[o.id]}
                                           for o in guarded])
        if changed_orders:
            yield "changed_orders", _json([_row(o, ORDER_COLUMNS) for o in changed_orders])
        if self.new_assignments:
            yield "new_assignments", _json([_row(a, ASSIGNMENT_COLUMNS[1:]) for a in self.new_assignments])
        if changed:
            yield "changed_assignments", _json([_row(a, ASSIGNMENT_COLUMNS) for a in changed])


def _insert(table: str, columns: tuple[str, ...], computed: dict[str, str] | None = None) -> str:
    """INSERT of the rows in the JSON array parameter ``{p}``, in their order; ``computed``: column → SQL
    over the row's JSON ``j.v``."""
    extra = computed or {}
    return (f'INSERT INTO "{{s}}".{table} ({", ".join((*columns, *extra))}) '
            f'SELECT {", ".join((*(f"r.{c}" for c in columns), *extra.values()))} '
            "FROM jsonb_array_elements(CAST({p} AS jsonb)) WITH ORDINALITY AS j(v, n), "
            f'jsonb_populate_record(NULL::"{{s}}".{table}, j.v) AS r ORDER BY j.n')


def _update(table: str, columns: tuple[str, ...]) -> str:
    """UPDATE, by id (the first column), of the rows in the JSON array parameter ``{p}``: every other column."""
    key, rest = columns[0], columns[1:]
    return (f'UPDATE "{{s}}".{table} AS t SET ({", ".join(rest)}) = ({", ".join(f"r.{c}" for c in rest)}) '
            f'FROM jsonb_populate_recordset(NULL::"{{s}}".{table}, CAST({{p}} AS jsonb)) AS r WHERE t.{key} = r.{key}')


def _guarded_update(table: str, columns: tuple[str, ...]) -> str:
    """``_update`` of only the rows still at the version each was read at (its JSON's ``_version``, the row's
    ``xmin`` then); returns the ids it wrote. A row changed since is left as it is."""
    key, rest = columns[0], columns[1:]
    return (f'UPDATE "{{s}}".{table} AS t SET ({", ".join(rest)}) = ({", ".join(f"r.{c}" for c in rest)}) '
            "FROM jsonb_array_elements(CAST({p} AS jsonb)) AS j(v), "
            f'jsonb_populate_record(NULL::"{{s}}".{table}, j.v) AS r '
            f"WHERE t.{key} = r.{key} AND t.xmin = CAST(j.v->>'_version' AS xid) RETURNING t.{key}")


# The closing statement's parts, by kind; ``{s}`` is the tenant's schema, ``{p}`` the part's one parameter, a
# JSON array of rows. PostgreSQL turns each row into the table's row type (jsonb_populate_record), so every
# column keeps its type without a list of types here.
WRITES = {
    "new_orders": _insert("orders", ORDER_COLUMNS, {"search": "to_tsvector('simple', j.v->>'_search')"}),
    "changed_orders": _update("orders", ORDER_COLUMNS),
    "guarded_orders": _guarded_update("orders", ORDER_COLUMNS),  # infra.commit checks that it wrote every row
    "new_assignments": _insert("order_assignments", ASSIGNMENT_COLUMNS[1:]),  # the id: drawn by the table
    "changed_assignments": _update("order_assignments", ASSIGNMENT_COLUMNS),
    "events": _insert("order_events", EVENT_COLUMNS),  # the events a transaction appended (infra.commit)
}


class WriteConflict(Exception):
    """An order the step read unlocked changed before the step's commit: nothing of the step was written."""


def unlock(session: AsyncSession) -> None:
    """The session's next step reads its orders unlocked, and writes each only if it did not change since
    (optimistic: see the module's docstring). Call before the step reads anything; the step's commit may
    then raise ``WriteConflict``. Ends with the transaction."""
    if _STORE in session.sync_session.info:
        raise RuntimeError("unlock before the step reads its first order")
    session.sync_session.info[UNLOCKED_KEY] = True


async def store(session: AsyncSession) -> RowStore:
    """The transaction's row store (made on first use, dropped when the transaction ends: ``infra.commit``)."""
    found: RowStore | None = session.sync_session.info.get(_STORE)
    if found is None:
        schema = session.sync_session.info.get(TENANT_SCHEMA_KEY)
        if schema is None:
            raise RuntimeError("order rows need a tenant session (infra.db.Database.tenant_session)")
        found = RowStore(schema, await driver_connection(session),
                         unlocked=bool(session.sync_session.info.get(UNLOCKED_KEY)))
        session.sync_session.info[_STORE] = found
    return found


def pending(session: AsyncSession | Session) -> RowStore | None:
    """The row store of the session's transaction, if it has one (``session`` may be the sync Session)."""
    info = session.sync_session.info if isinstance(session, AsyncSession) else session.info
    return info.get(_STORE)


def drop(info: dict[str, Any]) -> None:
    info.pop(_STORE, None)
    info.pop(UNLOCKED_KEY, None)


async def lock_order(session: AsyncSession, *, number: str | None = None,
                     origin: tuple[str, str] | None = None) -> Order | None:
    """The order with this number, or this tenant's record of (origin tenant, origin number), locked
    (``FOR UPDATE``) until the transaction ends, with its assignments (``assignments``); None if there is none.
    In an unlocked step (``unlock``) it is read, not locked, and its version kept."""
    rows = await store(session)
    added = _added(rows, number, origin)
    if added is not None:
        return added
    where, args = ("number = $1", (number,)) if origin is None else \
        ("origin_tenant = $1 AND origin_number = $2", origin)
    record = await rows.connection.fetchrow(f"{_found(rows, where)} SELECT * FROM found", *args)
    return None if record is None else _read(rows, record)


async def lock_received(session: AsyncSession, origin: tuple[str, str]) -> Order | int:
    """This tenant's record of (origin tenant, origin number), locked as by ``lock_order``; if there is none
    yet, the id drawn for it (``add_order``). One round trip either way: a dispatch from above arrives new."""
    rows = await store(session)
    added = _added(rows, None, origin)
    if added is not None:
        return added
    # CASE evaluates nextval only for the branch taken: no id is drawn for a record that exists.
    record = await rows.connection.fetchrow(
        f"{_found(rows, 'origin_tenant = $1 AND origin_number = $2')} "
        f"SELECT found.*, CASE WHEN found.id IS NULL THEN nextval('\"{rows.schema}\".orders_id_seq') END AS drawn "
        "FROM (VALUES (1)) AS one LEFT JOIN found ON true", *origin)
    return int(record["drawn"]) if record["id"] is None else _read(rows, record)


def _added(rows: RowStore, number: str | None, origin: tuple[str, str] | None) -> Order | None:
    """The order added in this transaction with this number or origin (a batch of messages: dispatch, then urge)."""
    for new, _ in rows.new_orders:
        if (new.number == number) if origin is None else ((new.origin_tenant, new.origin_number) == origin):
            return new
    return None


def _found(rows: RowStore, where: str) -> str:
    """``WITH found AS (…)``: the order matching ``where`` and its assignments in the same round trip, as JSON
    (a row type would differ per tenant schema); locked, or in an unlocked step with its row's version."""
    return _found_sql(rows.schema, where, rows.unlocked)


@lru_cache(maxsize=8192)  # built once per schema and kind of read, not per step
def _found_sql(schema: str, where: str, unlocked: bool) -> str:
    read = "o.xmin::text AS read_version" if unlocked else "NULL AS read_version"
    lock = "" if unlocked else " FOR UPDATE OF o"
    return (f'WITH found AS (SELECT {", ".join(f"o.{c}" for c in ORDER_COLUMNS)}, (SELECT jsonb_agg(a ORDER BY a.id) '
            f'FROM "{schema}".order_assignments AS a WHERE a.order_id = o.id) AS assignments, {read} '
            f'FROM "{schema}".orders AS o WHERE {where}{lock})')


def _read(rows: RowStore, record: asyncpg.Record) -> Order:
    """The transaction's object of the order row read (and of its assignments)."""
    if record["id"] in rows.orders:  # locked before in this transaction: what it holds is newer
        return rows.orders[record["id"]][0]
    order = _kept(rows.orders, Order, {c: record[c] for c in ORDER_COLUMNS}, ORDER_COLUMNS)
    if record["read_version"] is not None:
        rows.versions[order.id] = record["read_version"]
    rows.assignments_of[order.id] = [
        _kept(rows.assignments, Assignment, {**given, **{c: _when(given[c]) for c in _ASSIGNMENT_TIMES}},
              ASSIGNMENT_COLUMNS) for given in record["assignments"] or ()]
    return order


def add_order(session: AsyncSession, order: Order, search_text: str) -> None:
    """A new order (its id drawn already: ``lock_received``), inserted at commit; searchable by
    ``search_text``."""
    rows = _known(session)
    rows.new_orders.append((order, search_text))
    rows.assignments_of[order.id] = []


def assignments(session: AsyncSession, order: Order, *, live: bool = True) -> list[Assignment]:
    """The assignments of an order this transaction locked or added (only the live ones, not ended, unless
    ``live=False``), oldest first, the ones added in this transaction last."""
    found = _assignments_of(session, order.id)
    return [a for a in found if a.ended_at is None] if live else list(found)


def add_assignment(session: AsyncSession, **values: Any) -> Assignment:
    """A new assignment (these column values) of an order this transaction locked or added, inserted at
    commit. Made without the ORM's constructor (``transient``); a column not given is NULL."""
    assignment = transient(Assignment, values)
    _assignments_of(session, assignment.order_id).append(assignment)
    _known(session).new_assignments.append(assignment)
    return assignment


def _assignments_of(session: AsyncSession, order_id: int) -> list[Assignment]:
    rows = pending(session)
    if rows is None or order_id not in rows.assignments_of:
        raise RuntimeError(f"order {order_id} was not locked in this transaction (lock_order) nor added (add_order)")
    return rows.assignments_of[order_id]


def _known(session: AsyncSession) -> RowStore:
    rows = pending(session)
    if rows is None:  # rows are added only to an order already read in this transaction
        raise RuntimeError("add rows after reading the order they belong to (lock_order, lock_received)")
    return rows


def _kept(kept: dict[int, tuple[_Row, tuple[Any, ...]]], model: type[_Row], values: dict[str, Any],
          columns: tuple[str, ...]) -> _Row:
    """The object of this row in the transaction: the one read before, or a new one remembered with its values."""
    if values["id"] in kept:
        return kept[values["id"]][0]
    obj = transient(model, values)
    kept[values["id"]] = (obj, tuple(values[c] for c in columns))
    return obj


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


# The rows here are transient instances (``transient``), never in a session: nothing is expired or lazy, so
# their values are read from ``__dict__``, not through the ORM's attribute descriptors (several times the cost
# for 40 columns). A column never set is NULL, as the descriptor would answer.
def _values(obj: object, columns: tuple[str, ...]) -> tuple[Any, ...]:
    values = obj.__dict__
    return tuple(values.get(c) for c in columns)


def _row(obj: object, columns: tuple[str, ...]) -> dict[str, Any]:
    values = obj.__dict__
    return {c: values.get(c) for c in columns}


def events_json(events: list[OrderEvent]) -> str:
    """The ``events`` part's parameter: the events as a JSON array of rows."""
    return _json([_row(e, EVENT_COLUMNS) for e in events])


def _json(rows: list[dict[str, Any]]) -> str:
    # orjson writes datetimes and UUIDs as PostgreSQL reads them back; the rest goes through _json_value.
    return orjson.dumps(rows, default=_json_value, option=orjson.OPT_NON_STR_KEYS).decode()


def _json_value(value: object) -> object:
    """Values JSON has no type for, in the text PostgreSQL reads them back from."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"no JSON for {type(value).__name__}")
