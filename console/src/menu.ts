// The console's menu: each screen with the roles that work in it (realm roles, see README "Identity").
export interface MenuItem {
  path: string
  label: string
  roles: string[]
}

export const MENU: MenuItem[] = [
  { path: '/seat', label: '话务受理', roles: ['operator'] },
  { path: '/dispatch', label: '派单', roles: ['dispatcher'] },
  { path: '/inbox', label: '承办', roles: ['handler', 'department_handler', 'dispatcher', 'operator', 'supervisor'] },
  { path: '/review', label: '审核', roles: ['reviewer'] },
  { path: '/revisit', label: '回访', roles: ['caller'] },
  { path: '/orders', label: '工单查询', roles: ['operator', 'dispatcher', 'handler', 'department_handler', 'reviewer', 'caller', 'supervisor', 'auditor', 'admin'] },
  { path: '/routing', label: '派单目录', roles: ['admin', 'dispatcher'] },
]

export function menuFor(roles: Set<string>): MenuItem[] {
  return MENU.filter((m) => m.roles.some((r) => roles.has(r)))
}

export function homeFor(roles: Set<string>): string {
  return menuFor(roles)[0]?.path ?? '/orders'
}
