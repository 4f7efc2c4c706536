// Chinese words of the settings screens: units of a limit, roles that may backfill, where a year's calendar comes
// from, the change log's actions. (The order's own vocabulary — types, urgency — is in ../common/labels.ts.)
export const UNIT: Record<string, string> = { hours: '小时', working_days: '个工作日' }

export const ROLE: Record<string, string> = {
  operator: '话务员', dispatcher: '派单员', reviewer: '审核员', caller: '回访员', handler: '承办人',
  department_handler: '部门承办人', supervisor: '督办员', auditor: '审计员', admin: '管理员',
}

export const CALENDAR_SOURCE: Record<string, string> = {
  chinese_calendar: '国务院安排（chinese-calendar 已收录）',
  imported: '已导入，可修改',
  entered: '省级录入',
  estimated: '未录入：按周末估算，期限标注“估算”',
}

export const ACTION: Record<string, string> = {
  create: '设定', update: '修改', delete: '删除', disable: '停用', enable: '启用', reset_password: '重置密码',
}

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
