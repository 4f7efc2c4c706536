// The console's menu: each screen with the roles that work in it (realm roles, see README "Identity").
// A screen of a group (监督 oversight, 管理 administration) shows under that group's sub-menu.
export type MenuGroup = '监督' | '管理'

export interface MenuItem {
  path: string
  label: string
  roles: string[]
  group?: MenuGroup
  home?: string[] // the roles whose first screen this is (before the first of their menu)
}

export const MENU: MenuItem[] = [
  { path: '/seat', label: '话务受理', roles: ['operator'] },
  { path: '/dispatch', label: '派单', roles: ['dispatcher'] },
  { path: '/inbox', label: '承办', roles: ['handler', 'department_handler', 'dispatcher', 'operator', 'supervisor'] },
  { path: '/review', label: '审核', roles: ['reviewer'] },
  { path: '/revisit', label: '回访', roles: ['caller'] },
  // Not the admin's: it sets the centre up and reads no orders (iam/policies.py); the screen would only refuse it.
  { path: '/orders', label: '工单查询', roles: ['operator', 'dispatcher', 'handler', 'department_handler', 'reviewer', 'caller', 'supervisor', 'auditor'] },
  // 监督: the overview first (supervisors' and auditors' first screen), then the desk, the ranking, hot spots and
  // statistics: whoever holds `assessment read` (iam/policies.py), the desk supervisors and auditors.
  { path: '/overview', label: '总览', roles: ['supervisor', 'auditor', 'admin', 'dispatcher'], group: '监督', home: ['supervisor', 'auditor'] },
  { path: '/supervise', label: '督办台', roles: ['supervisor', 'auditor'], group: '监督' },
  { path: '/ranking', label: '考核排名', roles: ['supervisor', 'auditor', 'dispatcher', 'admin'], group: '监督' },
  { path: '/hotspots', label: '热点', roles: ['supervisor', 'auditor', 'dispatcher', 'admin'], group: '监督' },
  { path: '/statistics', label: '统计分析', roles: ['supervisor', 'auditor', 'dispatcher', 'admin'], group: '监督' },
  // 管理: people and units first (an admin's first screen is its people), then the settings.
  { path: '/admin/people', label: '人员管理', roles: ['admin'], group: '管理', home: ['admin'] },
  { path: '/admin/units', label: '承办单位', roles: ['admin'], group: '管理' },
  { path: '/admin/categories', label: '诉求分类', roles: ['admin', 'auditor'], group: '管理' },
  { path: '/admin/routing', label: '派单目录', roles: ['admin', 'dispatcher'], group: '管理' },
  { path: '/admin/time-limits', label: '办理时限', roles: ['admin', 'auditor'], group: '管理' },
  { path: '/admin/calendar', label: '节假日安排', roles: ['admin', 'auditor'], group: '管理' },
  { path: '/admin/overdue-policy', label: '超期策略', roles: ['admin', 'auditor'], group: '管理' },
  { path: '/admin/intake-policy', label: '受理策略', roles: ['admin', 'auditor'], group: '管理' },
  { path: '/admin/assessment', label: '考核设置', roles: ['admin', 'auditor'], group: '管理' },
]

export function menuFor(roles: Set<string>): MenuItem[] {
  return MENU.filter((m) => m.roles.some((r) => roles.has(r)))
}

/** The person's menu as the frame shows it: the screens without a group first, then each group's screens. */
export function menuTree(roles: Set<string>): { top: MenuItem[]; groups: { name: MenuGroup; items: MenuItem[] }[] } {
  const mine = menuFor(roles)
  const names: MenuGroup[] = ['监督', '管理']
  return {
    top: mine.filter((m) => !m.group),
    groups: names.map((name) => ({ name, items: mine.filter((m) => m.group === name) })).filter((g) => g.items.length),
  }
}

export function homeFor(roles: Set<string>): string {
  const mine = menuFor(roles)
  return (mine.find((m) => m.home?.some((r) => roles.has(r))) ?? mine[0])?.path ?? '/orders'
}
