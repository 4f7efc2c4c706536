// The order's vocabulary in Chinese (core/orders/lifecycle.py, core/orders/schemas.py, core/orders/inbox.py): one
// table per enum of the OpenAPI document, typed by it, so a value without its label fails the build
// (tests/fast/test_vocabulary.py fails too, without building). One entry per line: the test reads them.
import type { Schemas } from '../api/client'

export type OrderStatus = Schemas['OrderStatus']
export type OrderAction = Schemas['OrderAction']
export type EventKind = Schemas['EventKind']

/** 工单状态 */
export const ORDER_STATUS: Record<Schemas['OrderStatus'], string> = {
  registered: '已受理',
  dispatched: '已派单',
  signed: '办理中',
  returned: '已退单',
  escalated: '已上报',
  replied: '已回复',
  approved: '审核通过',
  closed: '已办结',
  merged: '已合并',
}

/** 办结方式: how a closed record ended */
export const OUTCOME: Record<Schemas['Outcome'], string> = {
  answered: '直办答复',
  redirected: '已转办',
  not_accepted: '不予受理',
  resolved: '已解决',
  merged: '已合并',
  returned: '已退回上级',
  escalated: '已上报上级',
  withdrawn: '已被上级撤回',
}

/** What a person does (the buttons, and what a refusal names) */
export const ORDER_ACTION: Record<Schemas['OrderAction'], string> = {
  register: '受理',
  answer: '直办答复',
  redirect: '转办',
  decline: '不予受理',
  dispatch: '派单',
  sign: '签收',
  return: '退单',
  extend: '申请延期',
  'approve-extension': '审批延期',
  reply: '办理回复',
  approve: '审核通过',
  reject: '审核退回',
  close: '办结',
  revisit: '回访',
  reopen: '重办',
  urge: '督办',
  'sign-urge': '督办签收',
  escalate: '上报',
  merge: '合并',
  contact: '联系市民',
}

/** What an event of the order's history records (工单流转记录), at this level or arriving from another */
export const EVENT_KIND: Record<Schemas['EventKind'], string> = {
  register: '受理',
  answer: '直办答复',
  redirect: '转办',
  decline: '不予受理',
  dispatch: '派单',
  sign: '签收',
  return: '退单',
  extend: '延期申请',
  'approve-extension': '延期审批',
  reply: '回复',
  approve: '审核通过',
  reject: '审核退回',
  close: '办结',
  revisit: '回访',
  reopen: '重办',
  urge: '督办',
  escalate: '上报',
  merge: '合并',
  contact: '联系市民',
  'sign-urge': '督办签收',
  'urge-signed': '督办已签收',
  'dispatch-received': '收到上级派单',
  withdraw: '上级撤回',
  'merged-in': '并入重复诉求',
  overdue: '超期',
}

/** 主办 / 协办 */
export const ASSIGNMENT_ROLE: Record<Schemas['AssignmentRole'], string> = {
  lead: '主办',
  co: '协办',
}

/** Where one assignment (派单记录) stands */
export const ASSIGNMENT_STATUS: Record<Schemas['AssignmentStatus'], string> = {
  dispatched: '待签收',
  signed: '办理中',
  replied: '已回复',
  returned: '已退单',
  escalated: '已上报',
  done: '已完成',
  merged: '已合并',
  withdrawn: '已撤回',
  reworked: '重办',
}

/** How two orders are linked */
export const LINK_KIND: Record<Schemas['LinkKind'], string> = {
  duplicate: '重复',
  related: '关联',
  merged: '合并',
}

/** Where a request is redirected (转办) */
export const REDIRECT_TARGET: Record<Schemas['RedirectTarget'], string> = {
  '110': '110 公安',
  '119': '119 消防',
  '120': '120 急救',
  '122': '122 交通事故',
  legal_channel: '告知法定途径（诉讼、仲裁、行政复议等）',
}

/** Why an order looks like a duplicate (判重) */
export const DUPLICATE_REASON: Record<Schemas['DuplicateReason'], string> = {
  same_phone: '同一来电人',
  same_division: '同一区域',
  same_category: '同一分类',
  related_category: '相近分类',
  similar_text: '内容相似',
}

/** The inbox's tabs (待办), in the order they are shown */
export const INBOX_TAB: Record<Schemas['InboxTab'], string> = {
  to_dispatch: '待派单',
  to_sign: '待签收',
  to_handle: '待办理',
  to_review: '待审核',
  to_revisit: '待回访',
  done: '已办结',
  urged: '被督办',
}
