// What the ranking screen says of the numbers: the counters' Chinese names, the months a person picks, and the
// one way each number is written (the browser test compares the screen with the API through these same rules).
import type { Schemas } from '../../api/client'
import { MOVEMENT } from '../../labels'

export type Ranking = Schemas['Ranking']
export type RankingGroup = Schemas['RankingGroup']
export type RankedUnit = Schemas['RankedUnit']
export type Movement = Schemas['Movement']

/** The counters of the read model (docs/assessment.md), as a centre names them. */
export const COUNTER_NAMES: Record<string, string> = {
  received: '受理量', intake: '受理登记', repeated: '重复诉求', answered: '直办', dispatched: '派出',
  assigned: '派给部门', sign_due: '应签收', signed_in_time: '及时签收', contact_due: '应联系', contacted: '已联系',
  closed: '办结', closed_on_time: '按时办结', overdue: '超期', returned: '退单', escalated: '上报', reopened: '重办',
  urged: '督办', rated: '已回访', satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意',
  resolved: '已解决', declined: '不予受理/转办', merged: '合并', rejected: '审核不通过',
}

export const MOVEMENT_WORDS: Record<Movement, string> = MOVEMENT

export const pct = (v: number | null | undefined): string => (v == null ? '—' : `${(v * 100).toFixed(1)}%`)
export const points = (v: number | null | undefined): string => (v == null ? '—' : v.toFixed(2))
export const signed = (v: number): string => (v > 0 ? `+${v.toFixed(2)}` : v < 0 ? `−${(-v).toFixed(2)}` : '0.00')

/** The movement cell: ↑2 / ↓1 / 持平 / 新进 / —, and the sentence a screen reader says. */
export function movement(row: RankedUnit): { mark: string; words: string } {
  if (row.movement === 'new') return { mark: '新进', words: '新进入排名' }
  if (row.rank_change == null) return { mark: '—', words: row.previous_rank ? `上期第${row.previous_rank}名，本期无排名` : '无上期排名' }
  if (row.rank_change === 0) return { mark: '持平', words: '名次持平' }
  const n = Math.abs(row.rank_change)
  return row.rank_change > 0 ? { mark: `↑${n}`, words: `上升${n}位` } : { mark: `↓${n}`, words: `下降${n}位` }
}

export function monthName(period: string): string {
  const [y, m] = period.split('-')
  return `${Number(y)}年${Number(m)}月`
}

/** The months a person may pick: this month so far, then the 24 before it (newest first). */
export function months(today: Date = new Date()): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = []
  for (let i = 0; i <= 24; i++) {
    const d = new Date(today.getFullYear(), today.getMonth() - i, 1)
    const value = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`
    out.push({ value, label: i === 0 ? `${monthName(value)}（本月至今）` : monthName(value) })
  }
  return out
}

/** The last full month: what a centre ranks and publishes (the month is over, its numbers settled). */
export function lastFullMonth(today: Date = new Date()): string {
  return months(today)[1].value
}

export const LEVEL_NAMES: Record<string, string> = { city: '全部地市', district: '全部区县', town: '全部乡镇街道' }
const DEPTH = ['province', 'city', 'district', 'town']

/** The levels a tenant may rank all at once besides its children: every level below its children's. */
export function deeperLevels(level: string): string[] {
  return DEPTH.slice(DEPTH.indexOf(level) + 2)
}
