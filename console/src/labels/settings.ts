// The settings' vocabulary in Chinese (core/sla): one table per enum of the OpenAPI document, typed by it. One
// entry per line: tests/fast/test_vocabulary.py reads them.
import type { Schemas } from '../api/client'

/** 时限的单位 */
export const LIMIT_UNIT: Record<Schemas['LimitUnit'], string> = {
  hours: '小时',
  working_days: '个工作日',
}

/** Where a year's calendar comes from */
export const CALENDAR_SOURCE: Record<Schemas['CalendarSource'], string> = {
  chinese_calendar: '国务院安排（chinese-calendar 已收录）',
  imported: '已导入，可修改',
  entered: '省级录入',
  estimated: '未录入：按周末估算，期限标注“估算”',
}
