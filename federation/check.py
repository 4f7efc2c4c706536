"""`hotline federation check`: is every message where it should be, and every dispatch held once below?

Three questions, across all tenants:
- every outbox row older than ``stale_s`` was published;
- every published message was applied (its id is in the receiver's inbox; a fact, in its record's
  applied events) or dead-lettered;
- every order a tenant has with a child tenant (a live assignment) is held there by exactly one
  record, and that record is still open, unless the child's step up (a send-back, an escalation,
  a reply) is younger than ``stale_s``: an order closed below but still waiting above means a
  message up was lost or dead-lettered. Dispatches whose messages are still in the outbox
  (published and applied) are checked for a single record too.

Messages are checked as far back as retention keeps them (``federation.retention``); live
assignments, however old.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

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
        report.dispatches = sorted(set(_dispatched_held_once(conn)) | set(_live_below(conn, stale_s)))
    return report


def _dispatched_held_once(conn: Connection) -> list[str]:
    """Every applied dispatch message in the outbox: its receiver holds exactly one record of the order."""
    applied = conn.execute(text(
        "SELECT o.tenant_code, o.payload->>'origin_number', split_part(o.subject, '.', -1) FROM public.outbox o "
        "WHERE o.kind = 'dispatch' AND EXISTS (SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id)"
    )).all()
    by_receiver: dict[str, set[tuple[str, str]]] = {}
    for origin, number, receiver in applied:
        by_receiver.setdefault(receiver, set()).add((origin, number))
    problems: list[str] = []
    for receiver, pairs in by_receiver.items():
        counts = dict(((o, n), c) for o, n, c in conn.execute(text(
            f'SELECT origin_tenant, origin_number, count(*) FROM "t_{validate_code(receiver)}".orders '
            "WHERE (origin_tenant, origin_number) IN (SELECT * FROM unnest(CAST(:o AS text[]), CAST(:n AS text[]))) "
            "GROUP BY 1, 2"), {"o": [o for o, _ in pairs], "n": [n for _, n in pairs]}))
        problems += [f"{origin} {number} → {receiver}: {counts.get((origin, number), 0)} records"
                     for origin, number in pairs if counts.get((origin, number), 0) != 1]
    return problems


def _live_below(conn: Connection, stale_s: int) -> list[str]:
    """Every live assignment to a child tenant: one record below, open unless its step up is recent."""
    parents = [code for (code,) in conn.execute(text(
        "SELECT p.code FROM public.tenants p WHERE p.status = 'active' "
        "AND EXISTS (SELECT 1 FROM public.tenants c WHERE c.parent_code = p.code) ORDER BY p.path"))]
    live: dict[str, list[tuple[str, str, str]]] = {}
    for start in range(0, len(parents), BATCH):
        parts = [
            f"(SELECT '{code}', o.number, a.tenant_code, a.status FROM \"{schema}\".order_assignments a "
            f"JOIN \"{schema}\".orders o ON o.id = a.order_id WHERE a.tenant_code IS NOT NULL "
            "AND a.ended_at IS NULL AND a.assigned_at < now() - make_interval(secs => :s))"
            for code in parents[start:start + BATCH] for schema in [f"t_{validate_code(code)}"]]
        for origin, number, child, status in conn.execute(text(" UNION ALL ".join(parts)), {"s": stale_s}):
            live.setdefault(child, []).append((origin, number, status))
    problems: list[str] = []
    for child, assignments in live.items():
        held = {(o, n): (count, closed_long_ago) for o, n, count, closed_long_ago in conn.execute(text(
            f'SELECT origin_tenant, origin_number, count(*), bool_or(status = \'closed\' AND closed_at < now() '
            f'- make_interval(secs => :s)) FROM "t_{validate_code(child)}".orders '
            "WHERE (origin_tenant, origin_number) IN (SELECT * FROM unnest(CAST(:o AS text[]), CAST(:n AS text[]))) "
            "GROUP BY 1, 2"), {"s": stale_s, "o": [a[0] for a in assignments], "n": [a[1] for a in assignments]})}
        for origin, number, status in assignments:
            count, closed_long_ago = held.get((origin, number), (0, False))
            if count != 1:
                problems.append(f"{origin} {number} → {child}: {count} records")
            elif closed_long_ago and status in ("dispatched", "signed"):
                problems.append(f"{origin} {number} → {child}: closed at {child}, still with {child} at {origin} "
                                "(a message up was lost or dead-lettered)")
    return problems
