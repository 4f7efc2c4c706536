// The words the hotline's packages share in Chinese (core/vocabulary.py, core/sla/policy.py): one table per enum
// of the OpenAPI document, typed by it. One entry per line: tests/fast/test_vocabulary.py reads them.
import type { Schemas } from '../api/client'

/** 诉求类型 */
export const ORDER_TYPE: Record<Schemas['OrderType'], string> = {
  consultation: '咨询',
  help: '求助',
  complaint: '投诉',
  report: '举报',
  suggestion: '建议',
  praise: '表扬',
}

/** 紧急程度 */
export const URGENCY: Record<Schemas['Urgency'], string> = {
  normal: '一般',
  urgent: '紧急',
  very_urgent: '特急',
}

/** 受理渠道 */
export const CHANNEL: Record<Schemas['Channel'], string> = {
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

/** 回访满意度 */
export const SATISFACTION: Record<Schemas['Satisfaction'], string> = {
  satisfied: '满意',
  basically_satisfied: '基本满意',
  unsatisfied: '不满意',
}

/** The time-limit light (not colour alone) */
export const LIGHT: Record<Schemas['Light'], string> = {
  green: '正常',
  yellow: '临期',
  red: '超期',
}
