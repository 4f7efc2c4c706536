"""`hotline federation check`: is every message where it should be, and every dispatch held once below?"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tenants.codes import validate_code

STALE_S = 60


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
        # Every live dispatch to a child tenant is held there by exactly one live record.
        live = conn.execute(text(
            "SELECT o.tenant_code, o.payload->>'origin_number', split_part(o.subject, '.', -1) FROM public.outbox o "
            "WHERE o.kind = 'dispatch' AND EXISTS (SELECT 1 FROM public.inbox i WHERE i.message_id = o.message_id)"
        )).all()
        by_receiver: dict[str, list[tuple[str, str]]] = {}
        for origin, number, receiver in live:
            by_receiver.setdefault(receiver, []).append((origin, number))
        for receiver, pairs in by_receiver.items():
            schema = f"t_{validate_code(receiver)}"
            counts = dict(((o, n), c) for o, n, c in conn.execute(text(
                f'SELECT origin_tenant, origin_number, count(*) FROM "{schema}".orders '
                "WHERE origin_tenant IS NOT NULL GROUP BY 1, 2")))
            for origin, number in set(pairs):
                held = counts.get((origin, number), 0)
                if held != 1:
                    report.dispatches.append(f"{origin} {number} → {receiver}: {held} records")
    return report
