// The dispatch desk's data: the queue (inbox tab to_dispatch; where that is not served, the orders waiting for a
// dispatcher: registered, returned, escalated), each order's suggestion from the routing rules (GET
// …/routing-rules/suggest, cached by category × division), and a batch of `dispatch` POSTs with progress.
import { reactive, ref } from 'vue'
import { api, reason, type OrderOut, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'
import { act } from '../inbox/useOrder'

export type Rule = Schemas['RoutingRuleOut']
export interface Plan {
  to: number | string | null
  co_handlers: number[]
  co_tenants: string[]
  state: 'idle' | 'sending' | 'done' | 'failed'
  error: string
}

const WAITING: Schemas['OrderStatus'][] = ['registered', 'returned', 'escalated']

export function useDispatch() {
  const session = useSession()
  const queue = ref<OrderOut[]>([])
  const cursor = ref<string | null>(null)
  const loading = ref(false)
  const error = ref('')
  const suggestions = reactive(new Map<string, Rule | null>())
  const plans = reactive(new Map<string, Plan>())
  const progress = reactive({ total: 0, sent: 0, failed: 0, running: false })
  let fromInbox = true

  async function page(after: string | null): Promise<{ items: OrderOut[]; next_cursor: string | null } | null> {
    const code = session.tenant
    if (fromInbox) {
      const r = await api.GET('/api/v1/tenants/{code}/inbox/{tab}', {
        params: { path: { code, tab: 'to_dispatch' }, query: { cursor: after ?? undefined, limit: 100 } },
      })
      if (r.data) return r.data as { items: OrderOut[]; next_cursor: string | null }
      if (r.response.status !== 404) {
        error.value = reason(r.error)
        return null
      }
      fromInbox = false
    }
    const r = await api.GET('/api/v1/tenants/{code}/orders', {
      params: { path: { code }, query: { status: WAITING, sort: 'handle_deadline', cursor: after ?? undefined, limit: 100 } },
    })
    if (!r.data) error.value = reason(r.error)
    return (r.data as { items: OrderOut[]; next_cursor: string | null } | undefined) ?? null
  }

  async function load(more = false): Promise<void> {
    loading.value = true
    const got = await page(more ? cursor.value : null)
    loading.value = false
    if (!got) return
    error.value = ''
    const done = new Set([...plans].filter(([, p]) => p.state === 'done').map(([n]) => n))
    queue.value = more ? [...queue.value, ...got.items] : got.items.filter((o) => !done.has(o.number))
    cursor.value = got.next_cursor
    for (const o of got.items) {
      if (!plans.has(o.number)) plans.set(o.number, { to: null, co_handlers: [], co_tenants: [], state: 'idle', error: '' })
      void suggest(o)
    }
  }

  const key = (o: OrderOut) => `${o.category ?? ''}|${o.division_code ?? ''}`

  async function suggest(o: OrderOut): Promise<void> {
    const k = key(o)
    if (suggestions.has(k) || !o.category) return
    suggestions.set(k, null)
    const { data } = await api.GET('/api/v1/tenants/{code}/routing-rules/suggest', {
      params: { path: { code: session.tenant }, query: { category: o.category, division_code: o.division_code ?? undefined } },
    })
    suggestions.set(k, data ?? null)
  }

  function suggestionFor(o: OrderOut): Rule | null {
    return suggestions.get(key(o)) ?? null
  }

  /** 采纳建议: the rule's target and co-handlers become the order's plan. */
  function accept(o: OrderOut): boolean {
    const rule = suggestionFor(o)
    const plan = plans.get(o.number)
    if (!rule || !plan) return false
    plan.to = rule.to
    plan.co_handlers = [...rule.co_handlers]
    return true
  }

  /** One `dispatch` per order, in turn: each order's own target, else the batch's; co-handlers and co-tenants
   * of both. Errors stay on their rows. */
  async function dispatch(numbers: string[], fallback: Omit<Plan, 'state' | 'error'>): Promise<void> {
    Object.assign(progress, { total: numbers.length, sent: 0, failed: 0, running: true })
    for (const n of numbers) {
      const plan = plans.get(n)
      if (!plan) continue
      const to = plan.to ?? fallback.to
      plan.state = 'sending'
      plan.error = to === null ? '未选择派往单位' : await act(session.tenant, n, 'dispatch', {
        to,
        co_handlers: [...new Set([...plan.co_handlers, ...fallback.co_handlers])],
        co_tenants: [...new Set([...plan.co_tenants, ...fallback.co_tenants])],
      })
      plan.state = plan.error ? 'failed' : 'done'
      progress.sent++
      if (plan.error) progress.failed++
    }
    progress.running = false
  }

  return { queue, cursor, loading, error, plans, progress, load, suggestionFor, accept, dispatch }
}
