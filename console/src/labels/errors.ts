// Every refusal of the API in Chinese, from its stable code (infra/error_codes.py, the document's ErrorCode) and
// the params the body carries (a tenant's name, an order's number, the actions allowed …). The English `detail`
// stays in the body for the logs; nothing here shows it. One entry per code, each starting on its own line:
// tests/fast/test_vocabulary.py reads them and fails when a code has none.
import type { Schemas } from '../api/client'
import { ORDER_ACTION, ORDER_STATUS } from './orders'
import { ROLE } from './people'
import { ORDER_TYPE, URGENCY } from './vocabulary'

export type ErrorCode = Schemas['ErrorCode']
export type ErrorParams = Schemas['ErrorParams']
type Field = Schemas['ErrorField']
type Say = (p: ErrorParams, fields: Field[]) => string

/** The sentence when a refusal has no body, or a code this console does not know yet. */
export const GENERIC = '操作失败，请稍后重试'

// A form's fields by the API's names, for a refusal that names them.
const FIELD: Record<string, string> = {
  'citizen.phone': '联系电话', 'citizen.name': '市民姓名', 'citizen.id_number': '身份证号', citizen: '市民信息',
  phone: '手机号', name: '姓名', title: '标题', content: '内容', address: '地址', category: '问题分类',
  division_code: '所在区域', channel: '受理渠道', type: '诉求类型', urgency: '紧急程度', received_at: '实际受理时间',
  reason: '理由', note: '备注', to: '派往单位', co_handlers: '协办单位', co_tenants: '协办下级', days: '延期天数',
  approved: '审批意见', satisfaction: '满意度', resolved: '是否解决', into: '合并到的工单号',
  attachment_ids: '附件', file: '文件', photo: '照片', related: '关联工单', username: '用户名', password: '密码',
  email: '电子邮箱', roles: '角色', unit_id: '所属单位', code: '编码', parent_id: '上级单位',
  parent_code: '上级分类', kind: '单位类型', period: '统计期间', from: '开始日期', default_unit: '默认承办单位',
  working_days: '工作日数', weights: '考核权重', groups: '考核分组', year: '年份',
}

// What a guard's refusal was about (sso/access.py): resource and access, with whose.
const DOING: Record<string, (of: string) => string> = {
  'order:read': (of) => `查看${of}工单`,
  'order:act': (of) => `办理${of}工单`,
  'order:create': (of) => `受理${of}工单`,
  'order:export': (of) => `导出${of}工单`,
  'unit:read': (of) => `查看${of}承办单位`,
  'unit:write': (of) => `修改${of}承办单位`,
  'category:read': (of) => `查看${of}诉求分类`,
  'category:write': (of) => `修改${of}诉求分类`,
  'time_limit:read': (of) => `查看${of}办理时限`,
  'time_limit:write': (of) => `修改${of}办理时限`,
  'assessment:read': (of) => `查看${of}考核`,
  'assessment:write': (of) => `修改${of}考核设置`,
  'user:read': (of) => `查看${of}人员`,
  'user:write': (of) => `管理${of}人员`,
  'change:read': (of) => `查看${of}管理记录`,
  'tenant:read': (of) => `查看${of}详情`,
  'calendar:read': () => '查看工作日历',
  'calendar:write': () => '录入工作日历',
}

/** A tenant of the params by its name ("郑州市"), or `fallback` when the body names none. */
function named(name: string | null | undefined, fallback: string): string {
  return name || fallback
}

function order(p: ErrorParams): string {
  return p.number ? `工单 ${p.number}` : '该工单'
}

function action(p: ErrorParams): string {
  const known = p.action && (ORDER_ACTION as Record<string, string>)[p.action]
  return known ? `「${known}」` : '此操作'
}

function roles(list: Schemas['Role'][] | null | undefined, joiner = '或'): string {
  return (list ?? []).map((r) => ROLE[r] ?? '').filter(Boolean).join(joiner)
}

function wait(seconds: number | null | undefined): string {
  if (!seconds) return '稍后'
  return seconds >= 60 ? ` ${Math.ceil(seconds / 60)} 分钟后` : ` ${seconds} 秒后`
}

function fieldNames(fields: Field[]): string {
  return [...new Set(fields.map((f) => FIELD[f.field] ?? FIELD[f.field.split('.')[0]] ?? ''))].filter(Boolean).join('、')
}

function allowed(p: ErrorParams): string {
  const now = (p.allowed_actions ?? []).map((a) => ORDER_ACTION[a]).filter(Boolean)
  return now.length ? `；您现在可以：${now.join('、')}` : ''
}

/** Each code's sentence. */
export const ERROR: Record<Schemas['ErrorCode'], Say> = {
  bad_request: () => '请求有误，请检查后重试',
  unauthorized: () => '登录已过期，请重新登录',
  forbidden: (p) => {
    const doing = DOING[`${p.resource}:${p.access}`]
    return doing ? `您无权${doing(p.tenant_name ? `${p.tenant_name}的` : '')}` : '您无权执行此操作'
  },
  not_found: () => '没有找到您要的内容',
  method_not_allowed: () => '不支持此操作',
  conflict: () => '操作与当前状态冲突，请刷新后重试',
  gone: () => '所请求的内容已停用',
  too_large: (p) => (p.limit_bytes ? `文件太大，请换一个不超过 ${Math.round(p.limit_bytes / 1048576)} MB 的文件` : '提交的内容太大'),
  unsupported_media_type: () => '提交的格式不支持',
  validation_error: (_, fields) => {
    const names = fieldNames(fields)
    return names ? `填写有误，请检查：${names}` : '填写的内容有误，请检查后重试'
  },
  too_many_requests: (p) => `操作太频繁，请${wait(p.retry_after)}再试`,
  service_unavailable: () => '服务暂时不可用，请稍后重试',
  internal_error: () => '系统出错，请稍后重试',
  not_ready: () => '服务尚未就绪，请稍后重试',
  csrf_failed: () => '无法确认请求来自本系统，请刷新页面后重试',
  no_tenant_assigned: () => '您的账号尚未分配到热线单位，请联系管理员',
  invalid_state: () => '登录已过期，请重新登录',
  sign_in_failed: () => '登录失败，请重新登录',
  invalid_user: (_, fields) => {
    const names = fieldNames(fields)
    return names ? `人员信息有误，请检查：${names}` : '人员信息有误，请检查后重试'
  },
  role_not_grantable: (p) => (roles(p.roles) ? `您无权授予或收回这些角色：${roles(p.roles, '、')}。督办员、审计员、管理员只能由本身持有该角色的管理员授予` : '您无权授予所选角色'),
  own_account: () => '不能修改自己的角色或单位，也不能停用自己，请由其他管理员操作',
  roles_required: () => '请至少选择一个角色；如需取消全部角色，请停用该人员',
  unit_required: () => '承办人、部门承办人须选择所在单位',
  unknown_unit: () => '所选单位不是该人员所在层级的在用单位',
  weak_password: () => '密码不符合要求：至少 10 位，不能与登录名相同，不能与最近 5 次密码相同',
  identity_provider_unavailable: () => '统一身份认证服务暂时无法访问，本次未作任何修改，请稍后重试',
  user_exists: () => '该用户名或电子邮箱已被使用',
  user_not_found: () => '没有找到该人员',
  invalid_tenant_code: () => '单位代码有误',
  tenant_not_found: () => '没有找到该单位',
  tenant_disabled: (p) => `${named(p.tenant_name, '该单位')}已停用`,
  tenant_not_ready: (p) => `${named(p.tenant_name, '该单位')}正在开通，请稍后再试`,
  order_not_found: (p) => `${p.tenant_name ?? ''}没有您能查看的工单${p.number ? ` ${p.number}` : ''}`,
  progress_not_found: () => '没有找到：请核对查询码和手机号',
  unknown_action: () => '没有这个操作',
  unknown_tab: () => '没有这个待办分类',
  invalid_cursor: () => '列表已经变化，请刷新后重试',
  unit_staff_only: () => '此项只有热线中心可以查看，承办单位人员只能查看本单位的工单',
  province_only: () => '此项由省级统一设定',
  not_your_tenant: (p) => `这张工单属于${named(p.tenant_name, '其他单位')}，您是${named(p.your_tenant_name, '其他单位')}的人员，不能办理此步骤`,
  outside_your_reach: (p) => `${named(p.tenant_name, '该单位')}不在${named(p.your_tenant_name, '您')}的管辖范围内，不能对其工单进行此操作`,
  role_needed: (p) => (roles(p.roles) ? `${action(p)}需要${roles(p.roles)}角色，您没有该角色` : `您没有执行${action(p)}的角色`),
  not_your_unit: (p) => `${order(p)}由其他承办单位办理，不在您的单位`,
  export_refused: (p) => `您无权导出${named(p.tenant_name, '该单位')}的工单`,
  withdrawn: (p) => `${order(p)}已被${named(p.by_tenant_name, '上级')}撤回，本级无需再办理`,
  invalid_transition: (p) => `${order(p)}${p.status ? `当前${ORDER_STATUS[p.status]}，` : '当前'}不能${action(p)}${allowed(p)}`,
  extension_pending: (p) => `已有延期申请在等待审批，不能重复申请${allowed(p)}`,
  past_time_limit: (p) => `已超过办理时限，延期须在时限前申请${allowed(p)}`,
  no_extension_waiting: (p) => `没有等待本级审批的延期申请${allowed(p)}`,
  taken_at_origin: (p) => `${order(p)}由${named(p.origin_tenant_name, '上级热线')}受理，${action(p)}由受理的热线办理；本级可答复、继续派单或退回${allowed(p)}`,
  merge_into_closed: (p) => `${order(p)}${p.status ? ORDER_STATUS[p.status] : '已办结'}，只能合并到未办结的工单`,
  attachment_not_found: () => '没有找到该附件',
  unsupported_file_type: (p) => `文件格式不支持${p.accepted ? `，请上传以下格式：${p.accepted}` : ''}`,
  no_step_to_attach_to: (p) => `您现在不能办理${order(p)}，不能为其添加附件`,
  too_many_attachments: (p) => `${order(p)}的附件已达上限${p.limit ? `（${p.limit} 个）` : ''}`,
  unit_exists: (p) => `单位编码 ${p.code ?? ''} 已存在`,
  unit_not_found: () => '没有找到该承办单位',
  category_exists: (p) => `分类编码 ${p.code ?? ''} 已存在（本级或上级已有）`,
  routing_rule_exists: () => '该分类和区域已有派单规则，请修改原规则',
  routing_rule_not_found: () => '没有找到该派单规则',
  no_time_limit: (p) => `未设置${p.urgency ? URGENCY[p.urgency] : ''}${p.type ? ORDER_TYPE[p.type] : ''}工单的办理时限，请管理员先设置办理时限`,
  calendar_for_province: () => '工作日历由省级管理员统一录入',
  category_not_found: () => '没有这个诉求分类',
  category_not_yours: () => '这个分类属于其他层级，只能由该层级的管理员修改',
  category_has_children: () => '该分类下还有在用的小类，请先停用这些小类',
  not_set_here: () => '本级没有单独设置此项，无可删除（当前沿用上级或系统默认）',
  time_limit_required: () => '省级办理时限是各级的默认值，只能修改，不能删除',
  calendar_year_unknown: (p) => `chinese-calendar 尚未收录${p.year ? ` ${p.year} 年` : '该年'}的节假日安排，请直接录入国务院公布的安排`,
  not_on_this_desk: () => '该工单不在本督办台的辖区内，不能从这里督办',
  alert_not_found: () => '该预警不存在，或不在您的管辖范围内',
  report_font_missing: (p) => `无法生成 PDF 通报：服务器未安装中文字体，请安装 Debian 软件包 ${p.package ?? 'fonts-wqy-microhei'}`,
}

interface Body {
  error?: unknown
  params?: ErrorParams | null
  fields?: Field[] | null
}

/** The Chinese sentence of an error body (`{"error", "detail", "params", "fields"}`); GENERIC for anything else. */
export function sayRefusal(body: unknown): string {
  if (!body || typeof body !== 'object') return GENERIC
  const { error, params, fields } = body as Body
  const say = typeof error === 'string' ? (ERROR as Record<string, Say | undefined>)[error] : undefined
  return say ? say(params ?? {}, fields ?? []) : GENERIC
}

/** A refusal's fields in Chinese, for a form to show beside each field: "联系电话：不符合要求". */
export function fieldRefusals(body: unknown): Record<string, string> {
  const fields = (body && typeof body === 'object' ? (body as Body).fields : null) ?? []
  return Object.fromEntries(fields.map((f) => [f.field, `${FIELD[f.field] ?? '此项'}不符合要求，请检查`]))
}
