// The lifecycle actions (core/orders/lifecycle.py OrderAction) as the console offers them: the fields of
// ActionRequest each one needs (README "Work orders"; core/orders/rules.py says which need a reason); their names
// are the one table of src/labels/orders.ts.
import type { Schemas } from '../../api/client'
import { ORDER_ACTION, REDIRECT_TARGET, SATISFACTION, label, type OrderAction } from '../../labels'

type RedirectTarget = Schemas['RedirectTarget']
type Satisfaction = Schemas['Satisfaction']

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
  fields: Field[]
  hint?: string // said beside the action's name on its button
  reasonRequired?: boolean
  danger?: boolean
  primary?: boolean
}

export type Doable = Exclude<OrderAction, 'register'>

// What each action asks for; its name is ORDER_ACTION's (src/labels/orders.ts).
export const ACTIONS: Record<Doable, ActionSpec> = {
  answer: { fields: ['content', 'attachments', 'note'], primary: true },
  redirect: { fields: ['redirect', 'reason'], hint: '110/119/120/122/法定途径', reasonRequired: true },
  decline: { fields: ['reason'], reasonRequired: true, danger: true },
  dispatch: { fields: ['dispatch', 'note'], primary: true },
  sign: { fields: ['note'], primary: true },
  return: { fields: ['reason'], reasonRequired: true, danger: true },
  contact: { fields: ['note'] },
  extend: { fields: ['days', 'reason'], reasonRequired: true },
  'approve-extension': { fields: ['approved', 'note'] },
  reply: { fields: ['content', 'attachments', 'note'], primary: true },
  approve: { fields: ['note'], primary: true },
  reject: { fields: ['reason'], reasonRequired: true, danger: true },
  close: { fields: ['note'], primary: true },
  revisit: { fields: ['revisit', 'note'], primary: true },
  reopen: { fields: ['reason'], reasonRequired: true, danger: true },
  urge: { fields: ['reason', 'due'], reasonRequired: true },
  'sign-urge': { fields: ['note'], primary: true },
  escalate: { fields: ['reason'], reasonRequired: true },
  merge: { fields: ['into', 'note'] },
}

/** What an action asks for (a note only, for one this console does not know yet). */
export function specOf(name: string): ActionSpec {
  return (ACTIONS as Record<string, ActionSpec | undefined>)[name] ?? { fields: ['note'] }
}

/** An action's name on its button: ORDER_ACTION's, with its hint. */
export function actionLabel(name: string): string {
  const spec = specOf(name)
  return `${label(ORDER_ACTION, name)}${spec.hint ? `(${spec.hint})` : ''}`
}

export const REDIRECT_TARGETS = (Object.entries(REDIRECT_TARGET) as [RedirectTarget, string][])
  .map(([value, name]) => ({ value, label: name }))

export const SATISFACTIONS = (Object.entries(SATISFACTION) as [Satisfaction, string][])
  .map(([value, name]) => ({ value, label: name }))

/** A dispatch's target: `to` a unit id (本级承办单位) or a child tenant's code (下级), and who co-handles (协办). */
export interface DispatchChoice {
  to: number | string | null
  coHandlers: number[]
  coTenants: string[]
}
