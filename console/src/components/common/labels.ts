// Chinese names of the API's codes (statuses, lights, actions, satisfaction) for the screens.
export const STATUS: Record<string, string> = {
  registered: '已受理', dispatched: '已派单', signed: '办理中', returned: '已退单', escalated: '已上报',
  replied: '已回复', approved: '审核通过', closed: '已办结', merged: '已合并',
}

export const LIGHT: Record<string, string> = { green: '正常', yellow: '临期', red: '超期' }

export const ACTION: Record<string, string> = {
  register: '受理', answer: '直办', redirect: '转办', decline: '不予受理', dispatch: '派单', sign: '签收',
  return: '退单', extend: '延期申请', 'approve-extension': '延期审批', reply: '回复', approve: '审核通过',
  reject: '审核不通过', close: '办结', revisit: '回访', reopen: '重办', urge: '督办', escalate: '上报',
  merge: '合并', contact: '联系市民', 'dispatch-received': '上级派来', withdraw: '上级撤回', 'merged-in': '并入工单',
  overdue: '超期', 'sign-urge': '督办签收', 'urge-signed': '督办已签收',
}

export const SATISFACTION: Record<string, string> = {
  satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意',
}

export const URGENCY: Record<string, string> = { normal: '一般', urgent: '紧急', very_urgent: '特急' }

export const TYPE: Record<string, string> = {
  consultation: '咨询', help: '求助', complaint: '投诉', report: '举报', suggestion: '建议', praise: '表扬',
}

/** 2026-10-09T10:00:00+08:00 → 10-09 10:00 (the province's own clock, as the API gives it). */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const m = iso.match(/^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/)
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : iso
}
