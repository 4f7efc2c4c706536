"""Order, assignment and event rows on the session's own asyncpg connection: the one write path of orders.

Intake (受理), every lifecycle step (``core.orders.service``) and every message applied from another level
(``core.orders.crosslevel``) runs in a step (``core.orders.step.order_step``, a unit of work:
``infra.unit_of_work``). A step reads an order to change it, reads its assignments, changes them and
writes them back; intake and a dispatch arriving from above add a new order. Through the ORM each of
those statements cost the client 3–5× what the same statement costs on the driver (``hotline bench
statements``), and the ORM's flush as much again: on two cores, most of what a dispatch chain cost above
its floor. So this module reads those rows with plain asyncpg, on the connection and inside the
transaction of the caller's session, into plain (transient) ``Order`` and ``Assignment`` objects that the
rules change as before; when the step ends, its ``RowStore`` hands whatever is new or changed to the unit of
work's one closing statement. Only this module writes orders, assignments and order events; the ORM reads
them (lists, details) and never writes them.

Reading an order to change it (``read_for_change``) reads its assignments in the same round trip; from
then on the step's ``RowStore`` answers for them. Within a step the same row is always the same object, so
two changes to one row cannot overwrite each other, and what a step added is seen by the reads after it.

In a locking step the order is read ``FOR UPDATE``. In an optimistic step it is read outside any
transaction with its row's version (PostgreSQL's ``xmin``), and written only if still at that version: the
step then costs no BEGIN and no COMMIT, a round trip each, and holds no lock while it decides. If an order
changed meanwhile, nothing is written (``WriteConflict``) and the caller does the step again, locking
(``core.orders.service.act_and_commit``; the consumers' careful path). The chain of an order's events and
its assignments hang on the order row: whatever a step changes of an order comes with that order's own
write, and so with its version check (asserted by ``RowStore.parts``).
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

from core.orders.announce import order_notice
from core.orders.models import Assignment, Order, OrderEvent, transient
from infra.db import TENANT_SCHEMA_KEY
from infra.unit_of_work import Part, UnitOfWork, current

__all__ = ["RowStore", "add_assignment", "add_event", "add_order", "assignments", "read_for_change",
           "read_received_for_change"]

ORDER_COLUMNS = tuple(c.key for c in Order.__table__.columns if c.key != "search")  # search: written, never read
ASSIGNMENT_COLUMNS = tuple(c.key for c in Assignment.__table__.columns)
EVENT_COLUMNS = tuple(c.key for c in OrderEvent.__table__.columns if c.key != "id")  # the id: drawn by the table
_ASSIGNMENT_TIMES = tuple(c.key for c in Assignment.__table__.columns if isinstance(c.type, DateTime))
_Row = TypeVar("_Row", Order, Assignment)


@dataclass
class RowStore:
    """The orders and assignments one step has read or added (an identity map), their values when read, to
    tell which changed, and the events it appended. As with the ORM, a JSON column is changed by giving it a
    new value, never in place. A writer of the step's unit of work (``infra.unit_of_work``)."""

    schema: str
    work: UnitOfWork
    orders: dict[int, tuple[Order, tuple[Any, ...]]] = field(default_factory=dict)
    versions: dict[int, str] = field(default_factory=dict)  # order id → the row version read (optimistic)
    assignments: dict[int, tuple[Assignment, tuple[Any, ...]]] = field(default_factory=dict)
    # Every assignment of each order read or added, oldest first, those added in this step last.
    assignments_of: dict[int, list[Assignment]] = field(default_factory=dict)
    new_orders: list[tuple[Order, str]] = field(default_factory=list)  # with the text it is searched by
    new_assignments: list[Assignment] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list)

    @property
    def optimistic(self) -> bool:
        return self.work.optimistic

    def parts(self) -> Iterator[Part]:
        """What the step's closing statement writes, in this order: orders, assignments, events (an event or an
        assignment may belong to an order the statement inserts)."""
        self._copy_deadlines()
        changed_orders = [o for o, seen in self.orders.values()
                          if o.id not in self.versions and _values(o, ORDER_COLUMNS) != seen]
        # Every order read with its version is written, changed or not: its write is what checks its version.
        guarded = [o for o, _ in self.orders.values() if o.id in self.versions]
        changed = [a for a, seen in self.assignments.values() if _values(a, ASSIGNMENT_COLUMNS) != seen]
        self._check(changed)
        if self.new_orders:
            yield self._part("new_orders", [{**_row(o, ORDER_COLUMNS), "_search": text} for o, text in self.new_orders])
        if guarded:
            yield Part(_sql("guarded_orders", self.schema), _json([
                {**_row(o, ORDER_COLUMNS), "_version": self.versions[o.id]} for o in guarded]), checked=True)
        if changed_orders:
            yield self._part("changed_orders", [_row(o, ORDER_COLUMNS) for o in changed_orders])
        if self.new_assignments:
            yield self._part("new_assignments", [_row(a, ASSIGNMENT_COLUMNS[1:]) for a in self.new_assignments])
        if changed:
            yield self._part("changed_assignments", [_row(a, ASSIGNMENT_COLUMNS) for a in changed])
        if self.events:
            yield Part(_sql("events", self.schema), _json([_row(e, EVENT_COLUMNS) for e in self.events]),
                       conflict_on="uq_order_events_order_seq")

    def _copy_deadlines(self) -> None:
        """Each live assignment carries its order's handle deadline (the unit's inbox reads its work in deadline
        order from the assignments' index, t0012): set here, where every step's orders and assignments are
        written together, so no rule has to remember it."""
        for order in (*(o for o, _ in self.orders.values()), *(o for o, _ in self.new_orders)):
            for assignment in self.assignments_of.get(order.id, ()):
                if assignment.ended_at is None and assignment.handle_deadline != order.handle_deadline:
                    assignment.handle_deadline = order.handle_deadline

    def notices(self) -> Iterator[tuple[str, str]]:
        """One live notice (``core.orders.announce``) per order the step added, changed or appended an event to;
        the closing statement issues them, so PostgreSQL delivers them with the commit, and only then."""
        last: dict[int, OrderEvent] = {e.order_id: e for e in self.events}
        touched: dict[int, Order] = {o.id: o for o, _ in self.new_orders}
        touched.update((o.id, o) for o, seen in self.orders.values()
                       if o.id in last or _values(o, ORDER_COLUMNS) != seen)
        tenant = self.schema.removeprefix("t_")
        for order_id, order in touched.items():
            event = last.get(order_id)
            units = [a.unit_id for a in self.assignments_of.get(order_id, ()) if a.unit_id is not None]
            if order.lead_unit_id is not None:
                units.append(order.lead_unit_id)
            yield order_notice(tenant, order.number, event.action if event else "changed", order.status, units,
                               event.occurred_at if event else order.updated_at)

    def _part(self, kind: str, rows: list[dict[str, Any]]) -> Part:
        return Part(_sql(kind, self.schema), _json(rows))

    def _check(self, changed: list[Assignment]) -> None:
        """What hangs on an order row (its assignments, its event chain) is written only with that row's own
        write: an order read to change it in this step (in an optimistic step, with its version) or added."""
        added = {o.id for o, _ in self.new_orders}
        covered = (self.versions.keys() if self.optimistic else self.orders.keys()) | added
        for assignment in (*changed, *self.new_assignments):
            if assignment.order_id not in covered:
                raise RuntimeError(f"assignment {assignment.id} of order {assignment.order_id} changed in a step that "
                                   f"did not read its order to change it{' with its version' * self.optimistic} "
                                   "(read_for_change) nor add it (add_order)")
        for event in self.events:
            if event.order_id not in covered:
                raise RuntimeError(f"event {event.seq} of order {event.order_id} appended in a step that did not read "
                                   "its order to change it (read_for_change) nor add it (add_order)")


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
# JSON array of rows (``infra.unit_of_work.Part``). PostgreSQL turns each row into the table's row type
# (jsonb_populate_record), so every column keeps its type without a list of types here.
WRITES = {
    "new_orders": _insert("orders", ORDER_COLUMNS, {"search": "to_tsvector('simple', j.v->>'_search')"}),
    "changed_orders": _update("orders", ORDER_COLUMNS),
    "guarded_orders": _guarded_update("orders", ORDER_COLUMNS),  # checked: it must write every row given
    "new_assignments": _insert("order_assignments", ASSIGNMENT_COLUMNS[1:]),  # the id: drawn by the table
    "changed_assignments": _update("order_assignments", ASSIGNMENT_COLUMNS),
    "events": _insert("order_events", EVENT_COLUMNS),  # the events a step appended (``add_event``)
}


@lru_cache(maxsize=8192)  # one string per schema and kind: the unit of work caches its statement by them
def _sql(kind: str, schema: str) -> str:
    return WRITES[kind].format(s=schema, p="{p}")


def _store(session: AsyncSession) -> RowStore:
    """The row store of the step open on the session (made on first use, gone when the step ends);
    RuntimeError if no step is open."""
    work = current(session)
    return work.writer(RowStore, lambda: _new_store(session, work))


def _new_store(session: AsyncSession, work: UnitOfWork) -> RowStore:
    schema = session.sync_session.info.get(TENANT_SCHEMA_KEY)
    if schema is None:
        raise RuntimeError("order rows need a tenant session (infra.db.Database.tenant_session)")
    return RowStore(schema, work)


async def read_for_change(session: AsyncSession, *, number: str | None = None,
                          origin: tuple[str, str] | None = None) -> Order | None:
    """The order with this number, or this tenant's record of (origin tenant, origin number), read for the
    step to change it, with its assignments (``assignments``); None if there is none. A locking step locks it
    (``FOR UPDATE``) until the step ends; an optimistic step keeps its version, which its write checks."""
    rows = _store(session)
    added = _added(rows, number, origin)
    if added is not None:
        return added
    where, args = ("number = $1", (number,)) if origin is None else \
        ("origin_tenant = $1 AND origin_number = $2", origin)
    record = await (await rows.work.connection()).fetchrow(f"{_found(rows, where)} SELECT * FROM found", *args)
    return None if record is None else _read(rows, record)


async def read_received_for_change(session: AsyncSession, origin: tuple[str, str]) -> Order | int:
    """This tenant's record of (origin tenant, origin number), read to change it as by ``read_for_change``; if
    there is none yet, the id drawn for it (``add_order``). One round trip either way: a dispatch from above
    arrives new."""
    rows = _store(session)
    added = _added(rows, None, origin)
    if added is not None:
        return added
    # CASE evaluates nextval only for the branch taken: no id is drawn for a record that exists.
    record = await (await rows.work.connection()).fetchrow(
        f"{_found(rows, 'origin_tenant = $1 AND origin_number = $2')} "
        f"SELECT found.*, CASE WHEN found.id IS NULL THEN nextval('\"{rows.schema}\".orders_id_seq') END AS drawn "
        "FROM (VALUES (1)) AS one LEFT JOIN found ON true", *origin)
    return int(record["drawn"]) if record["id"] is None else _read(rows, record)


def _added(rows: RowStore, number: str | None, origin: tuple[str, str] | None) -> Order | None:
    """The order added in this step with this number or origin (a batch of messages: dispatch, then urge)."""
    for new, _ in rows.new_orders:
        if (new.number == number) if origin is None else ((new.origin_tenant, new.origin_number) == origin):
            return new
    return None


def _found(rows: RowStore, where: str) -> str:
    """``WITH found AS (…)``: the order matching ``where`` and its assignments in the same round trip, as JSON
    (a row type would differ per tenant schema); locked, or in an optimistic step with its row's version."""
    return _found_sql(rows.schema, where, rows.optimistic)


@lru_cache(maxsize=8192)  # built once per schema and kind of read, not per step
def _found_sql(schema: str, where: str, optimistic: bool) -> str:
    read = "o.xmin::text AS read_version" if optimistic else "NULL AS read_version"
    lock = "" if optimistic else " FOR UPDATE OF o"
    return (f'WITH found AS (SELECT {", ".join(f"o.{c}" for c in ORDER_COLUMNS)}, (SELECT jsonb_agg(a ORDER BY a.id) '
            f'FROM "{schema}".order_assignments AS a WHERE a.order_id = o.id) AS assignments, {read} '
            f'FROM "{schema}".orders AS o WHERE {where}{lock})')


def _read(rows: RowStore, record: asyncpg.Record) -> Order:
    """The step's object of the order row read (and of its assignments)."""
    if record["id"] in rows.orders:  # read before in this step: what it holds is newer
        return rows.orders[record["id"]][0]
    order = _kept(rows.orders, Order, {c: record[c] for c in ORDER_COLUMNS}, ORDER_COLUMNS)
    if record["read_version"] is not None:
        rows.versions[order.id] = record["read_version"]
    rows.assignments_of[order.id] = [
        _kept(rows.assignments, Assignment, {**given, **{c: _when(given[c]) for c in _ASSIGNMENT_TIMES}},
              ASSIGNMENT_COLUMNS) for given in record["assignments"] or ()]
    return order


def add_order(session: AsyncSession, order: Order, search_text: str) -> None:
    """A new order (its id drawn already: ``read_received_for_change``, or the sequence at intake), inserted
    when the step ends; searchable by ``search_text``."""
    rows = _store(session)
    if order.id is None or order.id in rows.assignments_of:
        raise RuntimeError(f"a new order needs an id of its own, not {order.id!r}")
    rows.new_orders.append((order, search_text))
    rows.assignments_of[order.id] = []


def add_event(session: AsyncSession, event: OrderEvent) -> None:
    """The event of an order this step read to change it or added, inserted when the step ends (after its order:
    the event may belong to an order the step inserts)."""
    rows = _store(session)
    if event.order_id not in rows.assignments_of:
        raise RuntimeError(f"order {event.order_id} was not read to change it in this step (read_for_change) nor "
                           "added in it (add_order): its event chain is on its row")
    rows.events.append(event)


def assignments(session: AsyncSession, order: Order, *, live: bool = True) -> list[Assignment]:
    """The assignments of an order this step read to change it or added (only the live ones, not ended, unless
    ``live=False``), oldest first, the ones added in this step last."""
    found = _assignments_of(session, order.id)
    return [a for a in found if a.ended_at is None] if live else list(found)


def add_assignment(session: AsyncSession, **values: Any) -> Assignment:
    """A new assignment (these column values) of an order this step read to change it or added, inserted when
    the step ends. Made without the ORM's constructor (``transient``); a column not given is NULL."""
    assignment = transient(Assignment, values)
    _assignments_of(session, assignment.order_id).append(assignment)
    _store(session).new_assignments.append(assignment)
    return assignment


def _assignments_of(session: AsyncSession, order_id: int) -> list[Assignment]:
    rows = _store(session)
    if order_id not in rows.assignments_of:
        raise RuntimeError(f"order {order_id} was not read to change it in this step (read_for_change) nor added "
                           "in it (add_order)")
    return rows.assignments_of[order_id]


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
