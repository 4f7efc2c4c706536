// 派单目录: the tenant's routing rules (GET/POST …/routing-rules, PUT/DELETE …/{id}).
import { ref } from 'vue'
import { api, reason, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'
import type { Rule } from './useDispatch'

export type RuleIn = Schemas['RoutingRuleIn']

/** The rules of ``tenant()``: the person's own tenant unless an admin screen shows another level. */
export function useRules(tenant?: () => string) {
  const session = useSession()
  const codeOf = (): string => (tenant ? tenant() : session.tenant)
  const rules = ref<Rule[]>([])
  const loading = ref(false)
  const error = ref('')

  async function load(): Promise<void> {
    loading.value = true
    const { data, error: e } = await api.GET('/api/v1/tenants/{code}/routing-rules', {
      params: { path: { code: codeOf() } },
    })
    loading.value = false
    rules.value = data ?? []
    error.value = data ? '' : reason(e)
  }

  /** Save a new rule (no id) or an edited one; the error's sentence, or ''. */
  async function save(rule: RuleIn, id?: number): Promise<string> {
    const code = codeOf()
    const { error: e } = id
      ? await api.PUT('/api/v1/tenants/{code}/routing-rules/{rule_id}', { params: { path: { code, rule_id: id } }, body: rule })
      : await api.POST('/api/v1/tenants/{code}/routing-rules', { params: { path: { code } }, body: rule })
    if (e) return reason(e)
    await load()
    return ''
  }

  async function remove(id: number): Promise<string> {
    const { error: e } = await api.DELETE('/api/v1/tenants/{code}/routing-rules/{rule_id}', {
      params: { path: { code: codeOf(), rule_id: id } },
    })
    if (e) return reason(e)
    await load()
    return ''
  }

  return { rules, loading, error, load, save, remove }
}
