// Roles and the history of administration in Chinese (iam/actors.py, infra/change_log.py): one table per enum of
// the OpenAPI document, typed by it. One entry per line: tests/fast/test_vocabulary.py reads them.
import type { Schemas } from '../api/client'

export type Role = Schemas['Role']

/** 角色 */
export const ROLE: Record<Schemas['Role'], string> = {
  operator: '话务员',
  dispatcher: '派单员',
  handler: '承办人',
  reviewer: '审核员',
  caller: '回访员',
  supervisor: '督办员',
  department_handler: '部门承办人',
  auditor: '审计员',
  admin: '管理员',
}

/** Why a role may not be given or taken by this admin (iam/policies.py, the grant rule) */
export const GRANT_REFUSAL: Record<Schemas['GrantRefusal'], string> = {
  not_admin: '只有管理员才能授予角色',
  not_held: '督办员、审计员、管理员只能由本身持有该角色的管理员授予',
  own_roles: '不能修改自己的角色，请由其他管理员操作',
}

/** What a change of administration was about */
export const CHANGE_SUBJECT: Record<Schemas['ChangeSubject'], string> = {
  user: '人员',
  unit: '承办单位',
  category: '诉求分类',
  routing_rule: '派单规则',
  time_limits: '办理时限',
  rework_limit: '重办时限',
  calendar: '工作日历',
  overdue_policy: '超期处置规则',
  intake_policy: '受理规则',
  assessment_settings: '考核设置',
}

/** What the change did */
export const CHANGE_ACTION: Record<Schemas['ChangeAction'], string> = {
  create: '新增',
  update: '修改',
  delete: '删除',
  disable: '停用',
  enable: '启用',
  reset_password: '重置密码',
}
