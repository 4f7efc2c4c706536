// The lifecycle actions (core/orders/lifecycle.py Action) as the console shows them: a Chinese label and the
// fields of ActionRequest each one needs (README "Work orders"; core/orders/rules.py says which need a reason).
import type { Schemas } from '../../api/client'

export type ActionBody = Schemas['ActionRequest']

export type Field =
  | 'reason' // 理由 (required where `reasonRequired`)
  | 'note' // 备注
  | 'content' // 答复/回复内容
  | 'attachments' // 附件: uploaded first, then attachment_ids
  | 'redirect' // to: 110/119/120/122/legal_channel
  | 'dispatch' // to + co_handlers + co_tenants
  | 'days' // 延期天数
  | 'approved' // 同意/不同意延期
  | 'revisit' // satisfaction + resolved
  | 'into' // 合并到的工单号
  | 'due' // 督办时限

export interface ActionSpec {
  label: string
  fields: Field[]
  reasonRequired?: boolean
  danger?: boolean
  primary?: boolean
}

export const ACTIONS: Record<string, ActionSpec> = {
  answer: { label: '直办答复', fields: ['content', 'attachments', 'note'], primary: true },
  redirect: { label: '转办(110/119/120/122/法定途径)', fields: ['redirect', 'reason'], reasonRequired: true },
  decline: { label: '不予受理', fields: ['reason'], reasonRequired: true, danger: true },
  dispatch: { label: '派单', fields: ['dispatch', 'note'], primary: true },
  sign: { label: '签收', fields: ['note'], primary: true },
  return: { label: '退单', fields: ['reason'], reasonRequired: true, danger: true },
  contact: { label: '联系市民', fields: ['note'] },
  extend: { label: '申请延期', fields: ['days', 'reason'], reasonRequired: true },
  'approve-extension': { label: '审批延期', fields: ['approved', 'note'] },
  reply: { label: '办理回复', fields: ['content', 'attachments', 'note'], primary: true },
  approve: { label: '审核通过', fields: ['note'], primary: true },
  reject: { label: '审核退回', fields: ['reason'], reasonRequired: true, danger: true },
  close: { label: '办结', fields: ['note'], primary: true },
  revisit: { label: '回访', fields: ['revisit', 'note'], primary: true },
  reopen: { label: '重办', fields: ['reason'], reasonRequired: true, danger: true },
  urge: { label: '督办', fields: ['reason', 'due'], reasonRequired: true },
  'sign-urge': { label: '督办签收', fields: ['note'], primary: true },
  escalate: { label: '上报', fields: ['reason'], reasonRequired: true },
  merge: { label: '合并', fields: ['into', 'note'] },
}

export function actionLabel(name: string): string {
  return ACTIONS[name]?.label ?? name
}

export const REDIRECT_TARGETS = [
  { value: '110', label: '110 公安' },
  { value: '119', label: '119 消防' },
  { value: '120', label: '120 急救' },
  { value: '122', label: '122 交通事故' },
  { value: 'legal_channel', label: '告知法定途径(诉讼、仲裁、行政复议等)' },
]

export const SATISFACTION = [
  { value: 'satisfied', label: '满意' },
  { value: 'basically_satisfied', label: '基本满意' },
  { value: 'unsatisfied', label: '不满意' },
]

/** A dispatch's target: `to` a unit id (本级承办单位) or a child tenant's code (下级), and who co-handles (协办). */
export interface DispatchChoice {
  to: number | string | null
  coHandlers: number[]
  coTenants: string[]
}
