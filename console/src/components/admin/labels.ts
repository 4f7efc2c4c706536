// Chinese words of the administration screens: units of a limit, roles, where a year's calendar comes from, the
// history's actions, unit kinds, and the refusals of the people's and units' API (by their stable `error` code)
// shown beside the field they concern. The tables themselves are the one vocabulary's (src/labels).
import { reason, type Schemas } from '../../api/client'
import { CALENDAR_SOURCE as SOURCES, CHANGE_ACTION, LIMIT_UNIT, ROLE as ROLE_NAMES, UNIT_KIND as UNIT_KINDS } from '../../labels'

export type Role = Schemas['Role']
export type GrantRefusal = Schemas['GrantRefusal']

export const UNIT: Record<string, string> = LIMIT_UNIT
export const ROLE: Record<Role, string> = ROLE_NAMES
export const CALENDAR_SOURCE: Record<string, string> = SOURCES
export const ACTION: Record<string, string> = CHANGE_ACTION
export const UNIT_KIND: Record<string, string> = UNIT_KINDS

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

/** Every role, in the order a form lists them: the desk's first, then oversight and administration. */
export const ROLES: Role[] = ['operator', 'dispatcher', 'reviewer', 'caller', 'handler', 'department_handler', 'supervisor', 'auditor', 'admin']

/** A unit's staff work in one unit of their tenant: the form asks for it. */
export const UNIT_STAFF: Role[] = ['handler', 'department_handler']

/** Why a role's box is greyed out (the grant rule, iam/policies.py). */
export function refusalWords(why: GrantRefusal | null | undefined, role: Role): string {
  if (why === 'not_held') return `只有本身持有「${ROLE[role]}」角色的管理员才能授予此角色`
  if (why === 'own_roles') return '不能修改自己的角色，请由本级或上级的其他管理员操作'
  if (why === 'not_admin') return '只有管理员才能授予角色'
  return ''
}

/** 2026-10-09T10:00:00+08:00 → 2026-10-09 10:00 (the province's clock, as the API says it). */
export function at(iso: string | null | undefined): string {
  if (!iso) return '—'
  const m = iso.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})/)
  return m ? `${m[1]} ${m[2]}:${m[3]}` : iso
}

/** An error body's refusals by field, in Chinese: the form shows each beside its field; `''` holds the rest. */
export function fieldRefusals(error: unknown): Record<string, string> {
  const body = (error ?? {}) as { error?: string; detail?: string; fields?: { field: string; message: string }[] }
  const code = body.error ?? ''
  const fields = body.fields ?? []
  const out: Record<string, string> = {}
  const words: Record<string, [string, string]> = {
    unit_required: ['unit_id', '承办人、部门承办人须选择所在单位'],
    unknown_unit: ['unit_id', '所选单位不是该人员所在层级的在用单位'],
    roles_required: ['roles', '请至少选择一个角色；如需取消全部角色，请停用该人员'],
    weak_password: ['password', '密码不符合要求：至少 10 位，不能与登录名相同，不能与最近 5 次密码相同'],
    user_exists: ['username', '登录名已被使用，请换一个'],
    role_not_grantable: ['roles', '所选角色中有您无权授予的角色'],
    own_account: ['roles', '不能修改自己的角色或单位，请由其他管理员操作'],
    unit_exists: ['code', '本级已有该编码的单位，请换一个编码'],
  }
  if (code in words) {
    const [field, message] = words[code]
    out[field] = message
    return out
  }
  const plain: Record<string, string> = {
    name: '姓名不能包含符号（如 ( ) < > & " $ % ! # ? ; * / \\ | ^ = [ ] { }），且不超过 100 字',
    username: '登录名须为 3–60 位小写字母、数字或 . _ -，以字母或数字开头',
    password: '密码至少 10 位',
    email: '邮箱格式不正确',
    code: '编码须为小写字母、数字、- 或 _，以字母或数字开头，不超过 40 位',
    phone: '电话不超过 40 位',
    kind: '请选择单位类型',
    roles: '请至少选择一个角色；如需取消全部角色，请停用该人员',
    unit_id: '请选择本级的在用单位',
  }
  for (const f of fields) out[f.field] = plain[f.field] ?? '该项填写有误'
  if (!fields.length) out[''] = reason(error)
  return out
}
