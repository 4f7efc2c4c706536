// Chinese words of the settings screens: units of a limit, roles that may backfill, where a year's calendar comes
// from, the change log's actions. (The order's own vocabulary — types, urgency — is in ../common/labels.ts.)
import { CALENDAR_SOURCE as SOURCES, CHANGE_ACTION, LIMIT_UNIT, ROLE as ROLES } from '../../labels'

export const UNIT: Record<string, string> = LIMIT_UNIT
export const ROLE: Record<string, string> = ROLES
export const CALENDAR_SOURCE: Record<string, string> = SOURCES
export const ACTION: Record<string, string> = CHANGE_ACTION

export const WEEKDAY = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']

/** 2026-12-07T17:05:00+08:00 → 2026-12-07 17:05 (the province's clock, as the API gives it). */
export function when(iso: string): string {
  const m = iso.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/)
  return m ? `${m[1]} ${m[2]}` : iso
}

/** A limit in words: 15 个工作日, 4 小时. */
export function limitWords(limit: { value: number; unit: string } | null | undefined): string {
  return limit ? `${limit.value} ${UNIT[limit.unit] ?? limit.unit}` : '—'
}

/** The weekday of an ISO date (2026-10-01 → 周四), in China's week (Monday first). */
export function weekdayOf(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number)
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return WEEKDAY[(day + 6) % 7]
}

/** Saturday or Sunday? */
export function isWeekend(iso: string): boolean {
  const [y, m, d] = iso.split('-').map(Number)
  const day = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return day === 0 || day === 6
}
