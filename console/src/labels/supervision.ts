// Oversight's vocabulary in Chinese (core/assessment, core/orders/supervise_schemas.py, core/orders/urges.py): the
// ranking, statistics, hot spots and the 督办 desk. One table per enum of the OpenAPI document, typed by it, so a
// value without its label fails the build. One entry per line: tests/fast/test_vocabulary.py reads them.
import type { Schemas } from '../api/client'

/** 督办的状态: where one urge stands at the holder */
export const URGE_STATE: Record<Schemas['UrgeState'], string> = {
  waiting: '待签收',
  missed: '逾期未签收',
  signed: '已签收',
  signed_late: '逾期签收',
}

/** 督办台: what makes an order a matter for the desk */
export const DESK_KIND: Record<Schemas['DeskKind'], string> = {
  red: '红灯',
  overdue: '超期',
  disputed: '争议',
}

/** 争议: why an open order is disputed */
export const DISPUTE: Record<Schemas['Dispute'], string> = {
  returned: '退单待处理',
  escalated: '上报待处理',
  reopened: '重办',
  unsatisfied: '市民不满意',
  urge_missed: '督办逾期未签收',
}

/** Who holds the order at its level */
export const HOLDER_KIND: Record<Schemas['HolderKind'], string> = {
  unit: '承办单位',
  centre: '热线中心',
  review: '审核',
}

/** 督办台的排序 */
export const DESK_SORT: Record<Schemas['DeskSort'], string> = {
  late: '超时最久在前',
  '-late': '超时最短在前',
}

/** 热点预警的种类 */
export const ALERT_KIND: Record<Schemas['AlertKind'], string> = {
  spike: '突增',
  same_issue: '同一诉求',
}

/** 红黑榜 */
export const BOARD: Record<Schemas['Board'], string> = {
  red: '红榜',
  black: '黑榜',
}

/** 名次变化 against the period before */
export const MOVEMENT: Record<Schemas['Movement'], string> = {
  up: '上升',
  down: '下降',
  same: '持平',
  new: '新进',
  unranked: '本期无排名',
}

/** 考核分组 */
export const GROUP_KEY: Record<Schemas['GroupKey'], string> = {
  tenants: '下级行政区',
  departments: '部门',
}

/** What a ranked row is */
export const SUBJECT_KIND: Record<Schemas['SubjectKind'], string> = {
  tenant: '行政区',
  unit: '承办单位',
}

/** 统计维度 */
export const STAT_DIMENSION: Record<Schemas['StatDimension'], string> = {
  category: '小类',
  major_category: '大类',
  channel: '渠道',
  type: '诉求类型',
  area: '区域',
  unit: '承办单位',
  day: '日',
  month: '月',
}

/** 统计口径 */
export const STAT_MEASURE: Record<Schemas['StatMeasure'], string> = {
  requests: '受理量',
  assigned: '交办量',
}
