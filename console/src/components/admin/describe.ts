// A change of the history of administration in words: what it was about and, line by line, old → new — never the
// raw JSON the API keeps (infra/change_log.py). One describer per subject; each knows the shape its service records.
import type { Schemas } from '../../api/client'
import { TYPE, URGENCY } from '../common/labels'
import { CALENDAR_SOURCE, ROLE, limitWords } from './labels'

export type ChangeOut = Schemas['ChangeOut']
type Json = Record<string, unknown>

/** What the describers need to name things: tenants, indicators, categories. */
export interface Namer {
  tenant: (code: string) => string
  indicator?: (key: string) => string
  category?: (code: string) => string
}

export interface Described {
  what: string
  lines: string[]
}

const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {})
const arrow = (label: string, before: string, after: string): string => `${label}：${before} → ${after}`

function whose(source: unknown, names: Namer): string {
  if (source === 'default' || source === 'defaults' || !source) return '系统默认'
  return names.tenant(String(source))
}

function hours(value: unknown, never = '不自动'): string {
  if (value === null || value === undefined) return never
  return Number(value) === 0 ? '超期即时' : `超期 ${value} 小时后`
}

function timeLimits(c: ChangeOut, names: Namer): Described {
  const [type, urgency] = c.key.split('/')
  const what = `办理时限 · ${TYPE[type] ?? type} · ${URGENCY[urgency] ?? urgency}`
  const old = obj(c.old)
  const now = obj(c.new)
  const lines: string[] = []
  for (const [part, label] of [['sign', '签收'], ['handle', '办理']] as const) {
    const a = limitWords(obj(old[part]) as never)
    const b = limitWords(obj(now[part]) as never)
    if (a !== b) lines.push(arrow(label, a, b))
  }
  if (old.from !== now.from) lines.push(arrow('来源', whose(old.from, names), whose(now.from, names)))
  if (c.action === 'delete') lines.unshift(`取消本级设定，恢复沿用 ${whose(now.from, names)}`)
  return { what, lines: lines.length ? lines : ['数值未变'] }
}

function reworkLimit(c: ChangeOut, names: Namer): Described {
  const old = obj(c.old)
  const now = obj(c.new)
  const line = arrow('重办时限', `${old.working_days} 个工作日（${whose(old.from, names)}）`,
    `${now.working_days} 个工作日（${whose(now.from, names)}）`)
  return { what: '重办时限', lines: [line] }
}

function overduePolicy(c: ChangeOut, names: Namer): Described {
  const old = obj(c.old)
  const now = obj(c.new)
  const lines: string[] = []
  if (old.urge_after_hours !== now.urge_after_hours) lines.push(arrow('自动督办', hours(old.urge_after_hours), hours(now.urge_after_hours)))
  if (old.escalate_after_hours !== now.escalate_after_hours) lines.push(arrow('自动上报', hours(old.escalate_after_hours), hours(now.escalate_after_hours)))
  if (old.from !== now.from) lines.push(arrow('来源', whose(old.from, names), whose(now.from, names)))
  return { what: '超期策略', lines: lines.length ? lines : ['数值未变'] }
}

function intakePolicy(c: ChangeOut, names: Namer): Described {
  const old = obj(c.old)
  const now = obj(c.new)
  const roles = (v: unknown) => (Array.isArray(v) && v.length ? v.map((r) => (ROLE as Record<string, string>)[String(r)] ?? String(r)).join('、') : '无人')
  const lines: string[] = []
  if (roles(old.backfill_roles) !== roles(now.backfill_roles)) lines.push(arrow('可补录的角色', roles(old.backfill_roles), roles(now.backfill_roles)))
  if (old.backfill_hours !== now.backfill_hours) lines.push(arrow('补录最早可追溯', `${old.backfill_hours} 小时`, `${now.backfill_hours} 小时`))
  if (old.from !== now.from) lines.push(arrow('来源', whose(old.from, names), whose(now.from, names)))
  return { what: '受理策略（补录）', lines: lines.length ? lines : ['数值未变'] }
}

const HOTSPOT: Record<string, [string, string]> = {
  window_hours: ['观察窗口', '小时'], baseline_days: ['基线天数', '天'], min_count: ['最少诉求数', '件'],
  z: ['偏离倍数（标准差）', ''], same_issue_citizens: ['同一诉求市民数', '人'],
}
const GROUP: Record<string, string> = { tenants: '下级行政区组', departments: '部门组' }
const BASIS: Record<string, string> = { due: '已办结按时数 + 超期数', closed: '仅已办结数' }
const EXCLUDED: Record<string, string> = { merged: '合并的重复诉求', declined: '转办/不予受理' }

function assessment(c: ChangeOut, names: Namer): Described {
  const old = obj(obj(c.old).settings)
  const now = obj(obj(c.new).settings)
  const lines: string[] = []
  const indicator = names.indicator ?? ((k: string) => k)
  const ow = obj(old.weights)
  const nw = obj(now.weights)
  for (const key of new Set([...Object.keys(ow), ...Object.keys(nw)])) {
    if (ow[key] !== nw[key]) lines.push(arrow(`权重 · ${indicator(key)}`, String(ow[key] ?? 0), String(nw[key] ?? 0)))
  }
  for (const key of ['tenants', 'departments']) {
    const a = obj(obj(old.groups)[key])
    const b = obj(obj(now.groups)[key])
    if (a.name !== b.name) lines.push(arrow(`${GROUP[key]}名称`, String(a.name ?? ''), String(b.name ?? '')))
    if (a.max_score !== b.max_score) lines.push(arrow(`${GROUP[key]}满分`, String(a.max_score), String(b.max_score)))
  }
  const oh = obj(old.hotspots)
  const nh = obj(now.hotspots)
  for (const [key, [label, unit]] of Object.entries(HOTSPOT)) {
    if (oh[key] !== nh[key]) lines.push(arrow(`热点规则 · ${label}`, `${oh[key]}${unit}`, `${nh[key]}${unit}`))
  }
  if (old.list_size !== now.list_size) lines.push(arrow('红黑榜各列', `${old.list_size} 名`, `${now.list_size} 名`))
  if (old.basic_satisfaction_factor !== now.basic_satisfaction_factor) lines.push(arrow('“基本满意”折算', String(old.basic_satisfaction_factor), String(now.basic_satisfaction_factor)))
  if (old.on_time_basis !== now.on_time_basis) lines.push(arrow('按时办结率分母', BASIS[String(old.on_time_basis)] ?? '', BASIS[String(now.on_time_basis)] ?? ''))
  const ex = (v: unknown) => (Array.isArray(v) && v.length ? v.map((x) => EXCLUDED[String(x)] ?? String(x)).join('、') : '不剔除')
  if (ex(old.exclude_from_base) !== ex(now.exclude_from_base)) lines.push(arrow('基数剔除', ex(old.exclude_from_base), ex(now.exclude_from_base)))
  const o = obj(c.old)
  const n = obj(c.new)
  if (o.from !== n.from) lines.push(arrow('来源', whose(o.from, names), whose(n.from, names)))
  if (c.action === 'delete') lines.unshift(`取消本级设置，恢复沿用 ${whose(n.from, names)}`)
  return { what: '考核设置', lines: lines.length ? lines : ['数值未变'] }
}

function category(c: ChangeOut): Described {
  const old = obj(c.old)
  const now = obj(c.new)
  const limit = (v: unknown) => (v ? `${v} 个工作日` : '按类型时限')
  if (c.action === 'create') {
    const parent = now.parent_code ? `，属于 ${now.parent_code}` : '（大类）'
    return { what: `诉求分类 ${c.key}`, lines: [`新增“${now.name}”${parent}`, `办理时限：${limit(now.handle_limit_days)}`] }
  }
  const lines: string[] = []
  if (old.name !== now.name) lines.push(arrow('名称', String(old.name), String(now.name)))
  if (old.active !== now.active) lines.push(arrow('状态', old.active ? '启用' : '停用', now.active ? '启用' : '停用'))
  if (old.handle_limit_days !== now.handle_limit_days) lines.push(arrow('办理时限', limit(old.handle_limit_days), limit(now.handle_limit_days)))
  if (old.default_unit !== now.default_unit) lines.push(arrow('默认承办单位', String(old.default_unit ?? '无'), String(now.default_unit ?? '无')))
  return { what: `诉求分类 ${c.key} ${String(now.name ?? '')}`, lines: lines.length ? lines : ['数值未变'] }
}

function routingRule(c: ChangeOut, names: Namer): Described {
  const cat = names.category ?? ((code: string) => code)
  const rule = (v: Json) => `${cat(String(v.category))} · ${v.division_code ? names.tenant(String(v.division_code)) : '全部区域'} → ${v.to_label}`
  const old = obj(c.old)
  const now = obj(c.new)
  if (c.action === 'create') return { what: '派单规则', lines: [`新增：${rule(now)}`] }
  if (c.action === 'delete') return { what: '派单规则', lines: [`删除：${rule(old)}`] }
  const lines: string[] = []
  if (old.category !== now.category) lines.push(arrow('分类', cat(String(old.category)), cat(String(now.category))))
  if (old.division_code !== now.division_code) {
    const d = (v: unknown) => (v ? names.tenant(String(v)) : '全部区域')
    lines.push(arrow('区划', d(old.division_code), d(now.division_code)))
  }
  if (old.to_label !== now.to_label) lines.push(arrow('派往', String(old.to_label), String(now.to_label)))
  if (JSON.stringify(old.co_handlers) !== JSON.stringify(now.co_handlers)) lines.push('协办单位已调整')
  if (old.note !== now.note) lines.push(arrow('备注', String(old.note ?? '无'), String(now.note ?? '无')))
  return { what: `派单规则：${rule(now)}`, lines: lines.length ? lines : ['内容未变'] }
}

interface Day { date: string; workday: boolean; name: string | null }

function calendar(c: ChangeOut): Described {
  const old = obj(c.old)
  const now = obj(c.new)
  const days = (v: unknown): Day[] => (Array.isArray(v) ? (v as Day[]) : [])
  const key = (d: Day) => `${d.date}|${d.workday}|${d.name ?? ''}`
  const before = new Map(days(old.days).map((d) => [key(d), d]))
  const after = new Map(days(now.days).map((d) => [key(d), d]))
  const word = (d: Day) => `${d.date.slice(5).replace('-', '月')}日${d.workday ? '调休上班' : '放假'}${d.name ? `（${d.name}）` : ''}`
  const added = [...after.keys()].filter((k) => !before.has(k)).map((k) => word(after.get(k)!))
  const removed = [...before.keys()].filter((k) => !after.has(k)).map((k) => word(before.get(k)!))
  const lines = [arrow('来源', CALENDAR_SOURCE[String(old.source)] ?? String(old.source), CALENDAR_SOURCE[String(now.source)] ?? String(now.source))]
  const list = (items: string[]) => (items.length > 8 ? `${items.slice(0, 8).join('、')} 等 ${items.length} 天` : items.join('、'))
  if (added.length) lines.push(`新增：${list(added)}`)
  if (removed.length) lines.push(`去掉：${list(removed)}`)
  return { what: `${c.key} 年节假日安排`, lines }
}

/** The change in words. */
export function describe(change: ChangeOut, names: Namer): Described {
  switch (change.subject) {
    case 'time_limits': return timeLimits(change, names)
    case 'rework_limit': return reworkLimit(change, names)
    case 'overdue_policy': return overduePolicy(change, names)
    case 'intake_policy': return intakePolicy(change, names)
    case 'assessment_settings': return assessment(change, names)
    case 'category': return category(change)
    case 'routing_rule': return routingRule(change, names)
    case 'calendar': return calendar(change)
    default: return { what: change.key, lines: ['已修改'] }
  }
}
