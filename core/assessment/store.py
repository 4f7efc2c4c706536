"""Writing the read model: facts applied once each, counters added in bulk.

Works on a raw asyncpg connection inside the caller's transaction. Both the consumer (a batch of
facts) and the rebuild (every event log) add counters here, through the same ``Tally``; each table
is one statement whatever the batch (its columns sent as arrays, no temporary tables).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from core.assessment.hotspots import same_issue
from core.assessment.tally import Tally
from core.orders import desk_index
from core.orders.announce import LIVE_CHANNEL, overview_notice
from core.orders.facts import COUNTERS

# Consumers apply under the shared lock; a rebuild holds it exclusively while it replaces counters.
LOCK_KEY = 12345_0006


async def lock_shared(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", LOCK_KEY)


async def lock_exclusive(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)


_KEYS = {
    "assess_unit_day": (("tenant_code", "text"), ("unit_id", "bigint"), ("day", "date")),
    "assess_node_day": (("node", "text"), ("day", "date")),
}


async def add_counters(conn: asyncpg.Connection, tally: Tally) -> None:
    """Add the tally's counter deltas to the day tables (rows created as needed)."""
    for table, rows in (("assess_unit_day", [(*key, *_values(c)) for key, c in tally.units.items()]),
                        ("assess_node_day", [(*key, *_values(c)) for key, c in tally.nodes.items()])):
        if rows:
            await _upsert_add(conn, table, _KEYS[table], COUNTERS, rows)
    if tally.stats_day:
        await _upsert_add(conn, "stats_day", (("day", "date"), ("division", "text"), ("category", "text"),
                                              ("channel", "text"), ("type", "text")), ("n",),
                          [(*key, n) for key, n in tally.stats_day.items()])
    if tally.open_nodes:
        await _upsert_add(conn, "assess_open_node", (("node", "text"), ("deadline_hour", "timestamptz")),
                          ("open", "urged"), [(*key, c["open"], c["urged"]) for key, c in tally.open_nodes.items()],
                          prune_zero=True)
    if tally.stats_hour:
        await _upsert_add(conn, "stats_hour", (("hour", "timestamptz"), ("area", "text"), ("category", "text")),
                          ("n",), [(*key, n) for key, n in tally.stats_hour.items()])


def _values(counter: Any) -> list[int]:
    return [int(counter.get(name, 0)) for name in COUNTERS]


async def _upsert_add(conn: asyncpg.Connection, table: str, keys: tuple[tuple[str, str], ...],
                      counters: tuple[str, ...], rows: list[tuple[Any, ...]], prune_zero: bool = False) -> None:
    """Add ``rows`` (keys then counters) to the table in one statement: each column travels as an array."""
    names = [name for name, _ in keys] + list(counters)
    kinds = [kind for _, kind in keys] + ["integer"] * len(counters)
    columns, key_list = ", ".join(names), ", ".join(name for name, _ in keys)
    arrays = [list(column) for column in zip(*rows, strict=True)]
    unnest = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(kinds, start=1))
    additions = ", ".join(f"{c} = public.{table}.{c} + EXCLUDED.{c}" for c in counters)
    # In key order: two consumers adding to the same rows (every fact touches its province's) lock them
    # in the same order and wait for each other instead of deadlocking.
    await conn.execute(
        f"INSERT INTO public.{table} ({columns}) SELECT * FROM unnest({unnest}) AS s({columns}) "
        f"ORDER BY {key_list} ON CONFLICT ({key_list}) DO UPDATE SET {additions}", *arrays)
    if prune_zero:  # a row that counts nothing any more goes (as if it had never been)
        key_unnest = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(keys, start=1))
        zero = " AND ".join(f"t.{c} = 0" for c in counters)
        match = " AND ".join(f"t.{name} = s.{name}" for name, _ in keys)
        await conn.execute(f"DELETE FROM public.{table} t USING unnest({key_unnest}) AS s({key_list}) "
                           f"WHERE {match} AND {zero}", *arrays[:len(keys)])


async def apply_facts(conn: asyncpg.Connection, facts: list[dict[str, Any]]) -> int:
    """Apply each fact once (a fact already applied is skipped); returns how many were new.

    The caller holds a transaction. Which facts of a record have been applied is kept on the
    record's row, locked here, so redeliveries and racing consumers change nothing twice.
    """
    await lock_shared(conn)
    first = {}
    for fact in facts:
        first.setdefault((fact["t"], int(fact["o"])), fact)
    keys = sorted(first)
    # Every record gets its row first (an empty one if new), so that the lock below also covers a
    # record two consumers see for the first time at once: the second waits, then sees what the
    # first applied, and applies nothing twice.
    await conn.execute(
        "INSERT INTO public.assess_records (tenant_code, order_id, origin_len, day, applied, live_seq, is_open, "
        "urged) SELECT t, o, ol, d, '{}', 0, false, false FROM unnest($1::text[], $2::bigint[], $3::smallint[], "
        "$4::date[]) AS k(t, o, ol, d) ORDER BY t, o ON CONFLICT DO NOTHING",
        [k[0] for k in keys], [k[1] for k in keys], [int(first[k]["ol"]) for k in keys],
        [date.fromisoformat(first[k]["day"]) for k in keys])
    rows = await conn.fetch(
        "SELECT r.tenant_code, r.order_id, r.applied, r.live_seq, r.origin_len, r.is_open, r.deadline, r.urged "
        "FROM public.assess_records r "
        "JOIN unnest($1::text[], $2::bigint[]) AS k(t, o) ON r.tenant_code = k.t AND r.order_id = k.o "
        "ORDER BY 1, 2 FOR UPDATE OF r", [k[0] for k in keys], [k[1] for k in keys])
    records: dict[tuple[str, int], dict[str, Any]] = {
        (r["tenant_code"], r["order_id"]): {"applied": set(r["applied"]), "live_seq": r["live_seq"], "live": None,
                                            "ol": r["origin_len"], "was": (r["is_open"], r["deadline"], r["urged"])}
        for r in rows}
    tally = Tally()
    fresh = 0
    merges: list[dict[str, Any]] = []
    touched: set[str] = set()
    new_facts: list[dict[str, Any]] = []
    for fact in facts:
        key = (fact["t"], int(fact["o"]))
        record = records[key]
        if fact["s"] in record["applied"]:
            continue
        fresh += 1
        touched.add(fact["t"])
        record["applied"].add(fact["s"])
        record["dirty"] = True
        if fact["s"] > record["live_seq"]:
            record["live_seq"], record["live"] = fact["s"], fact["live"]
        tally.add_fact(fact)
        new_facts.append(fact)
        if fact.get("citizens"):
            merges.append(fact)
    for (tenant, _), record in records.items():
        if record["live"]:
            _count_open(tally, tenant, record)
    await update_records(conn, [
        (t, o, sorted(r["applied"]), r["live_seq"] if r["live"] else 0, *_live_columns(r["live"]))
        for (t, o), r in records.items() if r.get("dirty")])
    await add_counters(conn, tally)
    await desk_index.apply(conn, new_facts)  # the 督办 desk's index, kept by the same facts
    if merges:
        await same_issue(conn, merges, datetime.now(UTC))
    if touched:  # the overviews of these subtrees changed: delivered at commit, to whoever watches them
        await conn.execute("SELECT pg_notify($1, $2)", LIVE_CHANNEL, overview_notice(touched))
    return fresh


def _count_open(tally: Tally, tenant: str, record: dict[str, Any]) -> None:
    """Move the record's open count from its old deadline hour to its new one (or out, once closed)."""
    was_open, was_deadline, was_urged = record.get("was") or (False, None, False)
    is_open, deadline, urged, _ = _live_columns(record["live"])
    if was_open:
        tally.add_open(tenant, record["ol"], was_deadline, -1, -int(was_urged))
    if is_open:
        tally.add_open(tenant, record["ol"], deadline, 1, int(urged))


def _live_columns(live: dict[str, Any] | None) -> tuple[bool, datetime | None, bool, int | None]:
    """(open, limit, urged, the unit leading it) of a fact's ``live``; a fact from before units were carried has
    no ``unit`` (the centre's, until the record's next event or a rebuild)."""
    if not live:
        return False, None, False, None
    deadline = datetime.fromisoformat(live["deadline"]) if live.get("deadline") else None
    unit = live.get("unit")
    return bool(live["open"]), deadline, bool(live["urged"]), int(unit) if unit is not None else None


RECORD_COLUMNS = ["tenant_code", "order_id", "origin_len", "day", "applied", "live_seq", "is_open", "deadline",
                   "urged", "unit_id"]


async def update_records(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """The applied seqs of locked record rows; their live columns only for a newer event (``live_seq``).

    One statement for all rows, not one per row: a batch of facts touches hundreds of records. Each
    record's applied seqs travel as the text of an array (arrays of arrays do not unnest by row).
    """
    if not rows:
        return
    t, o, applied, seq, is_open, deadline, urged, unit = (list(column) for column in zip(*rows, strict=True))
    await conn.execute(
        "UPDATE public.assess_records AS r SET applied = CAST(u.applied AS integer[]), "
        "live_seq = GREATEST(r.live_seq, u.seq), "
        "is_open = CASE WHEN u.seq > r.live_seq THEN u.is_open ELSE r.is_open END, "
        "deadline = CASE WHEN u.seq > r.live_seq THEN u.deadline ELSE r.deadline END, "
        "urged = CASE WHEN u.seq > r.live_seq THEN u.urged ELSE r.urged END, "
        "unit_id = CASE WHEN u.seq > r.live_seq THEN u.unit ELSE r.unit_id END "
        "FROM unnest($1::text[], $2::bigint[], $3::text[], $4::integer[], $5::boolean[], $6::timestamptz[], "
        "$7::boolean[], $8::bigint[]) AS u(t, o, applied, seq, is_open, deadline, urged, unit) "
        "WHERE r.tenant_code = u.t AND r.order_id = u.o",
        t, o, ["{" + ",".join(map(str, a)) + "}" for a in applied], seq, is_open, deadline, urged, unit)


# The open records of every subtree by deadline hour, recomputed from ``assess_records``.
OPEN_NODE_SQL = """
INSERT INTO public.assess_open_node (node, deadline_hour, open, urged)
SELECT substr(r.tenant_code, 1, l),
       coalesce(date_trunc('hour', r.deadline AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '9999-12-31 00:00+00'),
       count(*), count(*) FILTER (WHERE r.urged)
FROM public.assess_records r, unnest(ARRAY[2, 4, 6, 9]) AS l
WHERE r.is_open AND l <= length(r.tenant_code) AND (r.origin_len = 0 OR l > r.origin_len)
GROUP BY 1, 2
"""


async def refresh_open_nodes(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM public.assess_open_node")
    await conn.execute(OPEN_NODE_SQL)
