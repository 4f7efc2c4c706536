// Who and where, as a person reads them: the names the API carries (core/orders/names.py: levels, units on the
// order's chain, the actor's name recorded with each step), never a code or a username while a name is known.

/** Steps no person took: the platform's own processes. */
const PROCESSES: Record<string, string> = {
  'system:timer': '系统（超期自动处理）',
  'citizen-web': '市民（网上提交）',
}

/** A step another level's message made here has the actor `tenant:<code>`. */
export const levelOf = (actor: string): string | null => (actor.startsWith('tenant:') ? actor.slice(7) : null)

/** Who took a step: the name the API gives (a person's, or the sending level's); for steps recorded before names
 * were, a process's Chinese name or, last, the username. */
export function actorLabel(actor: string | null | undefined, name?: string | null, tenantName?: (code: string) => string): string {
  if (name) return name
  if (!actor) return ''
  const level = levelOf(actor)
  if (level) return tenantName ? tenantName(level) : level
  return PROCESSES[actor] ?? actor
}

/** Whether a level (by code) is above or below the record's own: 上级 / 下级 (prefix codes, GB/T 2260). */
export function relation(level: string, here: string): '上级' | '下级' | '' {
  if (level === here) return ''
  return here.startsWith(level) ? '上级' : level.startsWith(here) ? '下级' : ''
}
