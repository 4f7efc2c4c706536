"""`hotline federation check`: is every message where it should be, does every level agree, is any order stuck?

Messages, across all tenants:
- every outbox row older than ``stale_s`` was published;
- every message published more than ``stale_s`` ago was applied (its id is in the receiver's inbox; a fact,
  in its record's applied events) or dead-lettered.

Levels (the link between a level's record and its child level's record of the same order), checked as soon as
no message about that link is in flight — not after a fixed wait. Everything is read in ONE snapshot
(``REPEATABLE READ``): a step and its outbox row commit together, as do a message's effect and its inbox row,
so in that snapshot "in flight" (in the outbox, neither in an inbox nor dead-lettered) is exact, and a link
without a message in flight must be in agreement:
- an order a level has with a child level (a live assignment) is held there by exactly one record;
- waiting for the child's sign ⇔ the child's record is open and not signed; signed ⇔ open and signed;
  replied ⇔ the child's record closed with its answer;
- while the child holds it, both time the same deadline;
- a citizen's rating reached every child level that handled the order (within the retention window);
- while the child holds it, every urge (督办) of the level above is on the child's record, signed (督办签收) at both
  or at neither;
- the other way round, a record open below is still waited for by the level above (else a withdrawal (撤回)
  was lost or dead-lettered).

Stuck: an open record in hand (dispatched or signed) that no unit, child level or centre holds, or that two
leads hold at once.

Each problem names the order, the levels and what disagrees. Messages are checked as far back as retention
keeps them (``federation.retention``); live assignments and open records, however old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from core.orders.lifecycle import OPEN
from federation.subjects import UP_KINDS
from tenants.codes import validate_code

STALE_S = 60
BATCH = 200  # tenant schemas per UNION ALL
RATED_WITHIN_DAYS = 14  # ratings are checked on records rated this recently (the retention window)
_OPEN = sorted(s.value for s in OPEN)

Link = tuple[str, str, str]  # (parent tenant, parent's record number, child tenant)


@dataclass
class CheckReport:
    unpublished: list[str] = field(default_factory=list)
    unapplied: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)  # levels out of step with each other
    stuck: list[str] = field(default_factory=list)  # open records nobody (or two) can move

    @property
    def clean(self) -> bool:
        return not (self.unpublished or self.unapplied or self.levels or self.stuck)


@dataclass(frozen=True)
class Below:
    """A child level's record of an order from above, as the check reads it."""

    number: str
    status: str
    outcome: str | None
    accepted: bool
    deadline: datetime | None
    satisfaction: str | None
    urges: list[dict] | None = None


def check(engine: Engine, stale_s: int = STALE_S) -> CheckReport:
    report = CheckReport()
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        report.unpublished = [f"{m} {s} (waiting since {c:%H:%M:%S})" for m, s, c in conn.execute(text(
            "SELECT message_id, subject, created_at FROM public.outbox WHERE published_at IS NULL "
            "AND created_at < now() - make_interval(secs => :s) ORDER BY id"), {"s": stale_s})]
        report.unapplied = [f"{m} {s}" for m, s in conn.execute(text(
            "SELECT o.message_id, o.subject FROM public.outbox o WHERE o.published_at IS NOT NULL "
            "AND o.published_at < now() - make_interval(secs => :s) AND o.kind <> 'fact' "
            "AND NOT EXISTS (SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id) "
            "AND NOT EXISTS (SELECT 1 FROM public.dead_letters d WHERE d.message_id = o.message_id)"),
            {"s": stale_s})]
        # An assessment fact is applied when its event's seq is among its record's applied ones.
        report.unapplied += [f"{m} {s} (assessment fact)" for m, s in conn.execute(text(
            "SELECT o.message_id, o.subject FROM public.outbox o WHERE o.kind = 'fact' "
            "AND o.published_at < now() - make_interval(secs => :s) "
            "AND NOT EXISTS (SELECT 1 FROM public.assess_records r WHERE r.tenant_code = o.payload->>'t' "
            "AND r.order_id = (o.payload->>'o')::bigint AND (o.payload->>'s')::int = ANY(r.applied)) "
            "AND NOT EXISTS (SELECT 1 FROM public.dead_letters d WHERE d.message_id = o.message_id)"),
            {"s": stale_s})]
        in_flight = _in_flight(conn)
        report.levels = _levels(conn, in_flight)
        report.stuck = _stuck(conn)
    return report


def _in_flight(conn: Connection) -> set[Link]:
    """The links with a message not yet applied (nor dead-lettered): their levels may differ for a moment."""
    links: set[Link] = set()
    for kind, receiver, origin, origin_number, by in conn.execute(text(
            "SELECT o.kind, split_part(o.subject, '.', -1), o.payload->>'origin_tenant', o.payload->>'origin_number', "
            "o.payload->>'by_tenant' FROM public.outbox o WHERE o.kind <> 'fact' "
            "AND NOT EXISTS (SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id) "
            "AND NOT EXISTS (SELECT 1 FROM public.dead_letters d WHERE d.message_id = o.message_id)")):
        if kind in UP_KINDS:  # from the child level ``by`` to the record ``origin_number`` of the receiver
            links.add((receiver, origin_number, by))
        else:  # from the record ``origin_number`` of ``origin`` to the receiving child level
            links.add((origin, origin_number, receiver))
    return links


def _tenants(conn: Connection, where: str) -> list[str]:
    return [code for (code,) in conn.execute(text(
        f"SELECT code FROM public.tenants t WHERE t.status = 'active' AND {where} ORDER BY t.path"))]


def _union(conn: Connection, codes: list[str], part: str, params: dict[str, object]) -> Iterable[tuple]:
    """``part`` (with ``{code}`` and ``{schema}``) over every tenant of ``codes``, BATCH schemas a statement."""
    for start in range(0, len(codes), BATCH):
        sql = " UNION ALL ".join(f"({part.format(code=code, schema=f't_{validate_code(code)}')})"
                                 for code in codes[start:start + BATCH])
        yield from conn.execute(text(sql), params)


def _levels(conn: Connection, in_flight: set[Link]) -> list[str]:
    parents = _tenants(conn, "EXISTS (SELECT 1 FROM public.tenants c WHERE c.parent_code = t.code)")
    # Every live assignment to a child level, and, of records rated recently since they were last closed, the
    # assignments whose answer closed them: the levels the rating must have reached (core.orders.crosslevel.rating).
    rated = ("a.replied_at IS NOT NULL AND a.status = 'done' AND a.ended_at = o.closed_at AND o.satisfaction IS NOT "
             "NULL AND EXISTS (SELECT 1 FROM \"{schema}\".order_events e WHERE e.order_id = o.id "
             "AND e.action = 'revisit' AND e.occurred_at >= o.closed_at)")
    links = list(_union(conn, parents, (
        f"SELECT '{{code}}', o.number, o.status, o.handle_deadline, o.satisfaction, o.urges, a.tenant_code, a.role, "
        "a.status, "
        f"{rated}, a.ended_at IS NULL FROM \"{{schema}}\".order_assignments a "
        "JOIN \"{schema}\".orders o ON o.id = a.order_id WHERE a.tenant_code IS NOT NULL AND (a.ended_at IS NULL "
        f"OR (o.updated_at > now() - make_interval(days => :d) AND {rated}))"), {"d": RATED_WITHIN_DAYS}))
    wanted: dict[str, set[tuple[str, str]]] = {}
    for origin, number, *_rest, child, _role, _status, _handled, _live in links:
        wanted.setdefault(child, set()).add((origin, number))
    below = _records_below(conn, wanted)
    problems: set[str] = set()
    waited_for: set[Link] = set()
    for origin, number, _status, deadline, satisfaction, urges_above, child, role, a_status, handled, live in links:
        link = (origin, number, child)
        if live:
            waited_for.add(link)
        if link in in_flight:
            continue
        records = below.get(link, [])
        name = f"{origin} {number} → {child}"
        if live and len(records) != 1:
            problems.add(f"{name}: {len(records)} records at {child}")
            continue
        if not records:
            continue
        record = records[0]
        where = f"at {child} ({record.number}: {record.status}{f', {record.outcome}' if record.outcome else ''})"
        if live:
            problems.update(_live_link(name, where, child, deadline, role, a_status, record))
            if role == "lead" and a_status in ("dispatched", "signed") and record.status in _OPEN:
                problems.update(_urges_differ(name, where, urges_above, record.urges))
        if handled and record.satisfaction != satisfaction:
            problems.add(f"{name}: rated {satisfaction} at {origin}, {record.satisfaction or 'not rated'} {where} "
                         "(a rating was lost or dead-lettered)")
    problems.update(
        f"{child} {record} (of {origin} {number}): open at {child}, no longer with {child} at {origin} "
        "(a withdrawal was lost or dead-lettered)"
        for child, record, origin, number in _open_from_above(conn)
        if (origin, number, child) not in waited_for and (origin, number, child) not in in_flight)
    return sorted(problems)


def _live_link(name: str, where: str, child: str, deadline: datetime | None, role: str, a_status: str,
               record: Below) -> list[str]:
    """What disagrees between a level waiting on a child level and the child's record."""
    open_below = record.status in _OPEN
    if a_status == "dispatched" and not (open_below and not record.accepted):
        lost = "signed" if open_below else "closed"
        return [f"{name}: waiting for {child}'s sign, {lost} {where} (a message up was lost or dead-lettered)"]
    if a_status == "signed" and not open_below:
        return [f"{name}: still with {child}, closed {where} (a message up was lost or dead-lettered)"]
    if a_status == "replied" and open_below:
        return [f"{name}: {child}'s reply is waiting for review, but the order is open {where} "
                "(a message down was lost or dead-lettered)"]
    if role == "lead" and a_status in ("dispatched", "signed") and open_below and deadline != record.deadline:
        return [f"{name}: deadline {_at(deadline)} at the level above, {_at(record.deadline)} {where}"]
    return []


def _urges_differ(name: str, where: str, above: list[dict] | None, below: list[dict] | None) -> list[str]:
    """The urges of the level above that the child holding the order lacks, or whose sign the two disagree on."""
    signed_below = {e["id"]: e.get("signed_at") is not None for e in below or []}
    problems = []
    for e in above or []:
        signed = e.get("signed_at") is not None
        if e["id"] not in signed_below:
            problems.append(f"{name}: urge {e['id']} not {where} (an urge was lost or dead-lettered)")
        elif signed_below[e["id"]] != signed:
            problems.append(f"{name}: urge {e['id']} {'signed' if signed else 'waiting'} at the level above, "
                            f"{'signed' if signed_below[e['id']] else 'waiting'} {where} "
                            "(a sign was lost or dead-lettered)")
    return problems


def _at(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "none"


def _records_below(conn: Connection, wanted: dict[str, set[tuple[str, str]]]) -> dict[Link, list[Below]]:
    """(origin, number, child) → the child's records of that order: one UNION ALL per BATCH child tenants,
    through the origin index."""
    children = sorted(wanted)
    found: dict[Link, list[Below]] = {}
    for start in range(0, len(children), BATCH):
        parts: list[str] = []
        params: dict[str, object] = {}
        for i, child in enumerate(children[start:start + BATCH]):
            params[f"o{i}"] = [origin for origin, _ in wanted[child]]
            params[f"n{i}"] = [number for _, number in wanted[child]]
            parts.append(
                f"(SELECT '{child}', origin_tenant, origin_number, number, status, outcome, accepted_at IS NOT NULL, "
                f"handle_deadline, satisfaction, urges FROM \"t_{validate_code(child)}\".orders "
                f"WHERE (origin_tenant, origin_number) IN (SELECT * FROM unnest(CAST(:o{i} AS text[]), "
                f"CAST(:n{i} AS text[]))))")
        for child, origin, number, *values in conn.execute(text(" UNION ALL ".join(parts)), params):
            found.setdefault((origin, number, child), []).append(Below(*values))
    return found


def _open_from_above(conn: Connection) -> list[tuple[str, str, str, str]]:
    """(tenant, number, origin, origin number) of every open record that came from a level above."""
    children = _tenants(conn, "t.parent_code IS NOT NULL")
    return [tuple(row) for row in _union(conn, children, (  # type: ignore[misc]
        "SELECT '{code}', number, origin_tenant, origin_number FROM \"{schema}\".orders "
        "WHERE status = ANY(CAST(:open AS text[])) AND origin_tenant IS NOT NULL"), {"open": _OPEN})]


def _stuck(conn: Connection) -> list[str]:
    """Open records in hand that nobody holds, or that two leads hold at once."""
    codes = _tenants(conn, "true")
    problems = []
    for code, number, status, leads, child_record in _union(conn, codes, (
            "SELECT '{code}', o.number, o.status, (SELECT count(*) FROM \"{schema}\".order_assignments a "
            "WHERE a.order_id = o.id AND a.role = 'lead' AND a.ended_at IS NULL), o.origin_tenant IS NOT NULL "
            "FROM \"{schema}\".orders o WHERE o.status IN ('dispatched', 'signed')"), {}):
        if leads > 1:
            problems.append(f"{code} {number} ({status}): held by {leads} leads at once")
        elif leads == 0 and not child_record:  # a child level's centre holds its own record; a root's never does
            problems.append(f"{code} {number} ({status}): nobody holds it (no unit, no child level, not the centre)")
    return problems
