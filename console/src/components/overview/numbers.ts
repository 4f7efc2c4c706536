// The overview's numbers (总览): their names, how each is written, which of them count the period rather than now,
// and the link of a drilled view (the tenants below the person's own in the path, a unit last).
import type { Schemas } from '../../api/client'

export type NumberKey = 'intake_today' | 'open' | 'yellow' | 'red' | 'urged' | 'escalated' | 'overdue' | 'satisfaction_rate'
/** A tile's numbers: a tenant's subtree (TenantTile) and a unit (UnitTile) both have them. */
export type Numbers = Pick<Schemas['TenantTile'], NumberKey | 'closed' | 'rated'>

export interface NumberSpec {
  key: NumberKey
  label: string
  period: boolean // counts the period's records (the others are now)
  tone?: 'red' | 'yellow' | 'good'
}

/** The headline tiles, in the order a centre reads them. */
export const NUMBERS: NumberSpec[] = [
  { key: 'intake_today', label: '今日受理', period: false },
  { key: 'open', label: '在办', period: false },
  { key: 'yellow', label: '临期（黄灯）', period: false, tone: 'yellow' },
  { key: 'red', label: '超期在办（红灯）', period: false, tone: 'red' },
  { key: 'urged', label: '督办中', period: false },
  { key: 'escalated', label: '上报', period: true },
  { key: 'overdue', label: '超期', period: true, tone: 'red' },
  { key: 'satisfaction_rate', label: '满意率', period: true, tone: 'good' },
]

export const METRICS = NUMBERS.map((n) => ({ value: n.key, label: n.label }))
export const DEFAULT_METRIC: NumberKey = 'open'

export function isMetric(value: unknown): value is NumberKey {
  return NUMBERS.some((n) => n.key === value)
}

/** A number as the screen writes it: a count as is, a rate as a percentage with one decimal, none as —. */
export function shown(key: NumberKey, numbers: Numbers): string {
  const value = numbers[key]
  if (value === null || value === undefined) return '—'
  return key === 'satisfaction_rate' ? `${(value * 100).toFixed(1)}%` : String(value)
}

/** Order of the tiles below: the most of a count first; for 满意率 the lowest first (who needs a look); none last. */
export function ranked<T extends Numbers>(items: T[], key: NumberKey): T[] {
  const value = (n: T) => n[key]
  return [...items].sort((a, b) => {
    const va = value(a)
    const vb = value(b)
    if (va === null || va === undefined) return vb === null || vb === undefined ? 0 : 1
    if (vb === null || vb === undefined) return -1
    return key === 'satisfaction_rate' ? va - vb : vb - va
  })
}

/** 2026-10 → 2026年10月; days (2026-10-01..2026-10-15) as they are. */
export function periodName(period: string): string {
  const m = period.match(/^(\d{4})-(\d{2})$/)
  return m ? `${m[1]}年${Number(m[2])}月` : period
}

/** This month in China time, e.g. 2026-12. */
export function thisMonth(now = new Date()): string {
  const china = new Date(now.getTime() + (480 + now.getTimezoneOffset()) * 60_000)
  return `${china.getFullYear()}-${String(china.getMonth() + 1).padStart(2, '0')}`
}

/** The trend's last day for a period: today for this month, the month's last day for an earlier one. */
export function trendEnd(period: string, now = new Date()): string | undefined {
  const m = period.match(/^(\d{4})-(\d{2})$/)
  if (!m || period >= thisMonth(now)) return undefined
  const last = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0))
  return last.toISOString().slice(0, 10)
}

/** The tenants from the person's own (excluded) down to ``code``: the path of a drilled view. */
export function trailTo(home: string, code: string): string[] {
  return [4, 6, 9].filter((n) => n > home.length && n <= code.length).map((n) => code.slice(0, n))
}
