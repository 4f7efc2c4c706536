// Urges (督办) as a person reads them: each urge once, however many levels relayed it (README "One urge, counted
// once"): this record's own (`urges`, as many as `urge_count`) and, apart, the urges the levels below raised on
// their own records, told apart by the identity each urge carries (`urge_id`) in the cross-level timeline.
import type { OrderDetail, Schemas } from '../../api/client'
import { eventsOf } from './timeline'

export type Urge = Schemas['UrgeOut']

export { URGE_STATE } from '../../labels'

export interface UrgeBelow {
  id: string
  tenant: string
  actor: string
  reason: string | null
  at: string
}

/** The urges raised below this record's level (on a child's record, not passed down to this one), each once. */
export function urgesBelow(order: OrderDetail): UrgeBelow[] {
  const own = new Set([...order.urges.map((u) => u.id), ...earlierUrges(order).map((u) => u.id)])
  const seen = new Map<string, UrgeBelow>()
  for (const e of eventsOf(order)) {
    if (e.action !== 'urge' || !e.number || e.number === order.number) continue
    const p = e.payload
    // Raised where the event is (not relayed from above): its level raised it. Without an identity (before urges
    // carried one), the level, time and reason tell one urge.
    const raisedOn = typeof p.raised_on === 'string' ? p.raised_on : e.tenant
    if (raisedOn !== e.tenant) continue
    const id = typeof p.urge_id === 'string' ? p.urge_id : legacyKey(e.actor_tenant, e.occurred_at, e.reason)
    if (own.has(id) || seen.has(id)) continue
    seen.set(id, { id, tenant: e.tenant ?? e.actor_tenant, actor: e.actor, reason: e.reason, at: e.occurred_at })
  }
  return [...seen.values()]
}

/** This record's urges from before urges carried an identity (counted in `urge_count`, not in `urges`). */
export function earlierUrges(order: OrderDetail): UrgeBelow[] {
  return (order.timeline as { action: string; payload: Record<string, unknown>; actor: string; actor_tenant: string;
    reason: string | null; occurred_at: string; seq: number }[])
    .filter((e) => e.action === 'urge' && typeof e.payload?.urge_id !== 'string')
    .map((e) => ({ id: legacyKey(e.actor_tenant, e.occurred_at, e.reason), tenant: e.actor_tenant, actor: e.actor,
      reason: e.reason, at: e.occurred_at }))
}

/** An urge without an identity is told by the level that urged, when and why: every copy relayed has the same. */
function legacyKey(tenant: string, at: string, reason: string | null): string {
  return `${tenant}|${at}|${reason ?? ''}`
}
