// The order's history as a person reads it: each event's name and a line of what it carried (payload).
import type { Schemas } from '../../api/client'
import { EVENT_KIND, ORDER_STATUS, REDIRECT_TARGET, SATISFACTION, label } from '../../labels'
import { actorLabel, levelOf, relation } from '../common/names'

export function eventLabel(action: string): string {
  return label(EVENT_KIND, action)
}

type EventOut = Schemas['EventOut']

/** An event of this record's log or of a level's record below it (全流程). */
export interface TimelineEvent extends EventOut {
  key: string
  tenant: string | null
  number: string | null
  tenant_name: string | null
}

/** The cross-level timeline when the order went down to a child level, else this record's own. */
export function eventsOf(order: { number: string; timeline: EventOut[]; cross_level_timeline?: Schemas['CrossLevelEvent'][] }): TimelineEvent[] {
  const cross = order.cross_level_timeline ?? []
  const raw: (EventOut & { tenant?: string; number?: string; tenant_name?: string | null })[] = cross.length ? cross : order.timeline
  return raw.map((e) => ({
    ...e, key: `${e.number ?? order.number}#${e.seq}`, tenant: e.tenant ?? null, number: e.number ?? null,
    tenant_name: e.tenant_name ?? null,
  }))
}

/** One line of what the event carried: the answer, the target, the days, the satisfaction … */
export type UnitName = (id: number, at?: string | null) => string

export function details(e: TimelineEvent, unitOf: UnitName, tenantName: (code: string) => string): string[] {
  const p = e.payload
  const unitName = (id: number) => unitOf(id, e.tenant ?? e.actor_tenant)
  const out: string[] = []
  if (typeof p.content === 'string' && p.content) out.push(p.content)
  if (e.action === 'redirect' && p.to) out.push(`转至 ${label(REDIRECT_TARGET, String(p.to))}`)
  else if (e.action === 'dispatch' && p.to !== undefined && p.to !== null) {
    out.push(`派至 ${typeof p.to === 'number' ? unitName(p.to) : `下级 ${tenantName(String(p.to))}`}`)
    const co = [...((p.co_handlers as number[] | undefined) ?? []).map(unitName), ...((p.co_tenants as string[] | undefined) ?? []).map(tenantName)]
    if (co.length) out.push(`协办：${co.join('、')}`)
  } else if ((e.action === 'return' || e.action === 'escalate') && typeof p.to === 'string') out.push(`交回 ${tenantName(p.to)}`)
  if (typeof p.days === 'number') out.push(`延期 ${p.days} 个工作日`)
  if (typeof p.approved === 'boolean') out.push(p.approved ? '同意延期' : '不同意延期')
  if (p.satisfaction) out.push(`满意度：${SATISFACTION[p.satisfaction]}`)
  if (typeof p.resolved === 'boolean') out.push(p.resolved ? '已解决' : '未解决')
  if (p.reopened) out.push('不满意，已重办')
  if (typeof p.into === 'string') out.push(`合并到 ${p.into}`)
  if (typeof p.from === 'string') out.push(`来自 ${/^\d+$/.test(p.from) ? tenantName(p.from) : p.from}`)
  if (typeof p.received_at === 'string') out.push(`补录，实际受理于 ${p.received_at.slice(0, 16).replace('T', ' ')}`)
  if (Array.isArray(p.attachment_ids) && p.attachment_ids.length) out.push(`附件 ${p.attachment_ids.length} 个`)
  if (e.action === 'urge' && typeof p.due === 'string') out.push(`督办时限 ${p.due.slice(0, 16).replace('T', ' ')}`)
  if (e.action === 'urge' && e.tenant && p.raised_on && p.raised_on !== e.tenant) out.push(`转达 ${tenantName(String(p.raised_on))} 的督办`)
  if (e.action === 'urge-signed' && typeof p.signed_tenant === 'string') out.push(`${tenantName(p.signed_tenant)} 已签收`)
  if (p.late === true) out.push('超时')
  if (typeof p.note === 'string' && p.note) out.push(`备注：${p.note}`)
  return out
}

export function statusChange(e: TimelineEvent): string {
  const to = ORDER_STATUS[e.to_status]
  if (!e.from_status || e.from_status === e.to_status) return to
  return `${ORDER_STATUS[e.from_status]} → ${to}`
}

/** Who took a step, by name: a person (with their level and unit), or a level above or below whose message made
 * the step here (郑州市（上级）). ``here``: the level of the record the event is in. */
export function whoTook(e: TimelineEvent, here: string, tenantName: (code: string) => string,
  unitName: UnitName): string {
  const level = levelOf(e.actor)
  if (level) {
    const side = relation(level, here)
    return `${e.actor_name ?? tenantName(level)}${side ? `（${side}）` : ''}`
  }
  const parts = [actorLabel(e.actor, e.actor_name), e.actor_tenant_name ?? tenantName(e.actor_tenant)]
  if (e.actor_unit_id) parts.push(e.actor_unit_name ?? unitName(e.actor_unit_id, e.actor_tenant))
  return parts.join(' · ')
}
