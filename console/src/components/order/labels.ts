// Chinese names of the platform's vocabulary (core/vocabulary.py, core/orders/lifecycle.py, schemas.py).
export const STATUS: Record<string, string> = {
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

export const TYPES: Record<string, string> = {
  consultation: '咨询',
  help: '求助',
  complaint: '投诉',
  report: '举报',
  suggestion: '建议',
  praise: '表扬',
}

export const URGENCY: Record<string, string> = { normal: '一般', urgent: '紧急', very_urgent: '特急' }

export const CHANNELS: Record<string, string> = {
  phone: '电话',
  web: '网站',
  app: '移动客户端',
  wechat: '微信',
  weibo: '微博',
  sms: '短信',
  email: '电子邮件',
  mayor_mailbox: '市长信箱',
  mini_program: '小程序',
  police_110: '110 联动',
}

export const OUTCOMES: Record<string, string> = {
  answered: '直办答复',
  redirected: '已转办',
  not_accepted: '不予受理',
  resolved: '已解决',
  merged: '已合并',
  returned: '已退回上级',
  escalated: '已上报上级',
  withdrawn: '已被上级撤回',
}

export const SATISFACTION_LABEL: Record<string, string> = {
  satisfied: '满意',
  basically_satisfied: '基本满意',
  unsatisfied: '不满意',
}

export const ROLE: Record<string, string> = { lead: '主办', co: '协办' }

export const ASSIGNMENT_STATUS: Record<string, string> = {
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

export function label(map: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—'
  return map[key] ?? key
}

/** 2026-10-09T10:00:00+08:00 → 2026-10-09 10:00 (the province's own clock, as the API gives it). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  return iso.slice(0, 16).replace('T', ' ')
}
