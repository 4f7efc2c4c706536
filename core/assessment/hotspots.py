"""Hot spots (热点): a category × area rising above its own baseline, or many citizens on one issue.

Spike: requests of one category in one area (区县) over the last ``window_hours`` are compared
with the same category and area over the ``baseline_days`` before the window, scaled to the
window (λ). The window is a spike when it holds at least ``min_count`` requests and lies ``z``
Poisson standard deviations above λ: (x − λ) / √max(λ, 1) ≥ z.

An alert is one episode: while it is open, the same spike only refreshes it (a unique index
allows one open alert per kind and key, so racing workers cannot raise it twice). It closes
when the area calms down to half the thresholds; a later spike is a new episode.

Same issue: an order into which ``same_issue_citizens`` citizens' requests have been merged
raises one alert for that order (raised by the assessment consumer as the merge's fact arrives).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from core.assessment.settings import HotspotRules, effective_raw


def significant(x: float, baseline: float, min_count: float, z: float) -> bool:
    return x >= min_count and (x - baseline) / math.sqrt(max(baseline, 1.0)) >= z


async def detect_spikes(conn: asyncpg.Connection, province: str, now: datetime) -> int:
    """One detection pass over all areas; returns how many new alerts it raised."""
    rules: HotspotRules = (await effective_raw(conn, province)).hotspots
    window_start = now - timedelta(hours=rules.window_hours)
    baseline_start = window_start - timedelta(days=rules.baseline_days)
    scale = rules.window_hours / (rules.baseline_days * 24)
    rows = await conn.fetch(
        "SELECT area, category, sum(n) FILTER (WHERE hour > $2) AS x, "
        "coalesce(sum(n) FILTER (WHERE hour <= $2), 0) * $4::float8 AS baseline "
        "FROM public.stats_hour WHERE hour > $3 AND hour <= $1 AND area LIKE $5 GROUP BY 1, 2 "
        "HAVING coalesce(sum(n) FILTER (WHERE hour > $2), 0) > 0",
        now, window_start, baseline_start, scale, f"{province}%")
    raised = 0
    calm_keys: list[str] = []
    for area, category, x, baseline in rows:
        key = f"{area}:{category}"
        if significant(x, baseline, rules.min_count, rules.z):
            raised += await raise_alert(conn, "spike", key, area, category, area, int(x), float(baseline), now,
                                        {"window_hours": rules.window_hours, "baseline_days": rules.baseline_days})
        elif not significant(x, baseline, rules.min_count / 2, rules.z / 2):
            calm_keys.append(key)
    # Areas with no requests at all in the window are calm too.
    await conn.execute(
        "UPDATE public.hotspot_alerts SET closed_at = $1 WHERE kind = 'spike' AND closed_at IS NULL "
        "AND key LIKE $4 "
        "AND (key = ANY($2::text[]) OR NOT EXISTS (SELECT 1 FROM public.stats_hour s WHERE s.hour > $3 "
        "AND s.area || ':' || s.category = hotspot_alerts.key))", now, calm_keys, window_start, f"{province}%")
    return raised


async def raise_alert(conn: asyncpg.Connection, kind: str, key: str, division: str, category: str | None,
                      area: str | None, count: int, baseline: float, now: datetime, detail: dict[str, Any]) -> int:
    """Open an alert episode, or refresh the open one; returns 1 if a new episode was opened."""
    tenant = await _responsible(conn, division)
    if tenant is None:
        return 0
    row = await conn.fetchrow(
        "INSERT INTO public.hotspot_alerts (kind, key, tenant_code, category, area, count, baseline, detail, "
        "opened_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9) "
        "ON CONFLICT (kind, key) WHERE closed_at IS NULL DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, "
        "count = GREATEST(hotspot_alerts.count, EXCLUDED.count) RETURNING (xmax = 0) AS inserted",
        kind, key, tenant, category, area, count, baseline, json.dumps(detail, ensure_ascii=False), now)
    return 1 if row["inserted"] else 0


async def _responsible(conn: asyncpg.Connection, division: str) -> str | None:
    """The deepest active tenant at or above the division: the level that must act."""
    codes = [division[:n] for n in (9, 6, 4, 2) if len(division) >= n]
    row = await conn.fetchrow("SELECT code FROM public.tenants WHERE code = ANY($1::text[]) AND status = 'active' "
                              "ORDER BY length(code) DESC LIMIT 1", codes)
    return row["code"] if row else None


async def same_issue(conn: asyncpg.Connection, facts: list[dict[str, Any]], now: datetime) -> int:
    """Alerts for orders that many citizens' requests were merged into (from merge facts)."""
    raised = 0
    for fact in facts:
        citizens = fact.get("citizens")
        if not citizens:
            continue
        rules = (await effective_raw(conn, fact["t"])).hotspots
        if citizens >= rules.same_issue_citizens:
            raised += await raise_alert(conn, "same_issue", fact["number"], fact.get("division") or fact["t"],
                                        fact.get("category"), (fact.get("division") or "")[:6] or None,
                                        int(citizens), 0.0, now, {"order": fact["number"], "tenant": fact["t"]})
    return raised


async def detect_all(pool: asyncpg.Pool, now: datetime) -> int:
    """A detection pass for every province of the deployment, each by its own rules."""
    raised = 0
    async with pool.acquire() as conn:
        provinces = [r[0] for r in await conn.fetch(
            "SELECT code FROM public.tenants WHERE level = 'province' AND status = 'active'")]
        for province in provinces:
            async with conn.transaction():
                raised += await detect_spikes(conn, province, now)
    return raised
