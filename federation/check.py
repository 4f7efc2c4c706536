"""`hotline federation check`: is every message where it should be, and every dispatch held once below?

Four questions, across all tenants:
- every outbox row older than ``stale_s`` was published;
- every published message was applied (its id is in the receiver's inbox; a fact, in its record's
  applied events) or dead-lettered;
- every order a tenant has with a child tenant (a live assignment) is held there by exactly one
  record, and that record is still open, unless the child's step up (a send-back, an escalation,
  a reply) is younger than ``stale_s``: an order closed below but still waiting above means a
  message up was lost or dead-lettered. Dispatches whose messages are still in the outbox
  (published and applied) are checked for a single record too;
- the other way round: every record open below that came from a level above is still with that
  level's live assignment, unless it changed less than ``stale_s`` ago: a record open below that
  the level above no longer waits for means a withdrawal (撤回) was lost or dead-lettered.

Messages are checked as far back as retention keeps them (``federation.retention``); live
assignments, however old.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from core.orders.lifecycle import OPEN
from tenants.codes import validate_code

STALE_S = 60
BATCH = 200  # tenant schemas per UNION ALL


@dataclass
class CheckReport:
    unpublished: list[str] = field(default_factory=list)
    unapplied: list[str] = field(default_factory=list)
    dispatches: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.unpublished or self.unapplied or self.dispatches)


def check(engine: Engine, stale_s: int = STALE_S) -> CheckReport:
    report = CheckReport()
    with engine.connect() as conn:
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
        report.dispatches = _held_below(conn, stale_s)
    return report


def _held_below(conn: Connection, stale_s: int) -> list[str]:
    """Orders with a child tenant that it does not hold exactly once, or holds closed while still waited on;
    records open below that the level above no longer waits for."""
    applied = _applied_dispatches(conn)
    everything_live = _live_assignments(conn, stale_s)
    live = {child: [(origin, number, status) for origin, number, status, old in assignments if old]
            for child, assignments in everything_live.items()}
    wanted: dict[str, set[tuple[str, str]]] = {child: set(pairs) for child, pairs in applied.items()}
    for child, assignments in live.items():
        wanted.setdefault(child, set()).update((origin, number) for origin, number, _ in assignments)
    held = _records_below(conn, stale_s, wanted)
    problems = {f"{origin} {number} → {child}: {held.get((child, origin, number), (0, False))[0]} records"
                for child, pairs in wanted.items() for origin, number in pairs
                if held.get((child, origin, number), (0, False))[0] != 1}
    problems |= {f"{origin} {number} → {child}: closed at {child}, still with {child} at {origin} "
                 "(a message up was lost or dead-lettered)"
                 for child, assignments in live.items() for origin, number, status in assignments
                 if status in ("dispatched", "signed") and held.get((child, origin, number)) == (1, True)}
    waited_for = {(child, origin, number) for child, assignments in everything_live.items()
                  for origin, number, _, _ in assignments}
    problems |= {f"{child} {record} (of {origin} {number}): open at {child}, no longer with {child} at {origin} "
                 "(a withdrawal was lost or dead-lettered)"
                 for child, record, origin, number in _open_from_above(conn, stale_s)
                 if (child, origin, number) not in waited_for}
    return sorted(problems)


def _applied_dispatches(conn: Connection) -> dict[str, set[tuple[str, str]]]:
    """(origin, number) of every applied dispatch message still in the outbox, by receiving tenant."""
    by_receiver: dict[str, set[tuple[str, str]]] = {}
    for origin, number, receiver in conn.execute(text(
            "SELECT o.tenant_code, o.payload->>'origin_number', split_part(o.subject, '.', -1) FROM public.outbox o "
            "WHERE o.kind = 'dispatch' AND EXISTS (SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id)")):
        by_receiver.setdefault(receiver, set()).add((origin, number))
    return by_receiver


def _live_assignments(conn: Connection, stale_s: int) -> dict[str, list[tuple[str, str, str, bool]]]:
    """(origin, number, assignment status, older than ``stale_s``) of every live assignment to a child
    tenant, by child: one UNION ALL per BATCH tenants that have children."""
    parents = [code for (code,) in conn.execute(text(
        "SELECT p.code FROM public.tenants p WHERE p.status = 'active' "
        "AND EXISTS (SELECT 1 FROM public.tenants c WHERE c.parent_code = p.code) ORDER BY p.path"))]
    live: dict[str, list[tuple[str, str, str, bool]]] = {}
    for start in range(0, len(parents), BATCH):
        parts = [
            f"(SELECT '{code}', o.number, a.tenant_code, a.status, "
            "a.assigned_at < now() - make_interval(secs => :s) "
            f"FROM \"{schema}\".order_assignments a JOIN \"{schema}\".orders o ON o.id = a.order_id "
            "WHERE a.tenant_code IS NOT NULL AND a.ended_at IS NULL)"
            for code in parents[start:start + BATCH] for schema in [f"t_{validate_code(code)}"]]
        for origin, number, child, status, old in conn.execute(text(" UNION ALL ".join(parts)), {"s": stale_s}):
            live.setdefault(child, []).append((origin, number, status, old))
    return live


def _open_from_above(conn: Connection, stale_s: int) -> list[tuple[str, str, str, str]]:
    """(tenant, number, origin, origin number) of every open record that came from a level above and has not
    changed for ``stale_s``: one UNION ALL per BATCH tenants that have a parent."""
    children = [code for (code,) in conn.execute(text(
        "SELECT code FROM public.tenants WHERE status = 'active' AND parent_code IS NOT NULL ORDER BY path"))]
    found: list[tuple[str, str, str, str]] = []
    for start in range(0, len(children), BATCH):
        parts = [
            f"(SELECT '{code}', number, origin_tenant, origin_number FROM \"t_{validate_code(code)}\".orders "
            "WHERE status = ANY(CAST(:open AS text[])) AND origin_tenant IS NOT NULL "
            "AND updated_at < now() - make_interval(secs => :s))"
            for code in children[start:start + BATCH]]
        rows = conn.execute(text(" UNION ALL ".join(parts)), {"s": stale_s, "open": sorted(s.value for s in OPEN)})
        found += [(code, number, origin, origin_number) for code, number, origin, origin_number in rows]
    return found


def _records_below(conn: Connection, stale_s: int, wanted: dict[str, set[tuple[str, str]]]
                   ) -> dict[tuple[str, str, str], tuple[int, bool]]:
    """(child, origin, number) → (records the child holds of that order, whether closed more than
    ``stale_s`` ago): one UNION ALL per BATCH child tenants, through the origin index."""
    children = sorted(wanted)
    found: dict[tuple[str, str, str], tuple[int, bool]] = {}
    for start in range(0, len(children), BATCH):
        parts: list[str] = []
        params: dict[str, object] = {"s": stale_s}
        for i, child in enumerate(children[start:start + BATCH]):
            params[f"o{i}"] = [origin for origin, _ in wanted[child]]
            params[f"n{i}"] = [number for _, number in wanted[child]]
            parts.append(
                f"(SELECT '{child}', origin_tenant, origin_number, count(*), bool_or(status = 'closed' "
                f"AND closed_at < now() - make_interval(secs => :s)) FROM \"t_{validate_code(child)}\".orders "
                f"WHERE (origin_tenant, origin_number) IN (SELECT * FROM unnest(CAST(:o{i} AS text[]), "
                f"CAST(:n{i} AS text[]))) GROUP BY 2, 3)")
        for child, origin, number, count, closed_long_ago in conn.execute(text(" UNION ALL ".join(parts)), params):
            found[(child, origin, number)] = (count, bool(closed_long_ago))
    return found
