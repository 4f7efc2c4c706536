// One order's detail and the names around it (units and levels: the API's own; category, division), reloaded on
// demand.
import { computed, ref } from 'vue'
import { api, reason, type Schemas } from '../../api/client'

export function useOrder() {
  const order = ref<Schemas['OrderDetail'] | null>(null)
  const error = ref('')
  const loading = ref(false)
  const tenants = ref(new Map<string, string>())
  const categories = ref(new Map<string, Schemas['CategoryView']>())
  let namesOf = ''

  async function load(tenant: string, number: string): Promise<void> {
    loading.value = true
    const { data, error: refusal } = await api.GET('/api/v1/tenants/{code}/orders/{number}', {
      params: { path: { code: tenant, number } },
    })
    loading.value = false
    order.value = data ?? null
    error.value = data ? '' : reason(refusal)
    const key = data ? tenant : ''
    if (data && namesOf !== key) {
      namesOf = key
      void names(tenant)
    }
  }

  async function names(tenant: string): Promise<void> {
    // Levels and units come named with the order (tenant_names, unit_names: every one on its chain, at any level);
    // this level's family only fills in a division the order does not name (its address's area).
    const [t, c] = await Promise.all([
      api.GET('/api/v1/tenants/{code}', { params: { path: { code: tenant } } }),
      api.GET('/api/v1/tenants/{code}/categories', { params: { path: { code: tenant } } }),
    ])
    const known = new Map<string, string>()
    for (const x of [...(t.data?.ancestors ?? []), ...(t.data?.children ?? [])]) known.set(x.code, x.name)
    if (t.data) known.set(t.data.code, t.data.name)
    categories.value = new Map((c.data ?? []).map((x) => [x.code, x]))
    tenants.value = known
  }

  /** A unit's name; ``at`` is its level (the order's own by default). The API names every unit on the order's
   * chain, at any level (a level above may read those names, and nothing more of the units below). */
  const unitName = (id: number, at?: string | null) => {
    const level = at ?? order.value?.number.split('-')[0] ?? ''
    return order.value?.unit_names?.[`${level}:${id}`] ?? `${tenantName(level)}的承办单位`
  }
  const tenantName = (code: string) => order.value?.tenant_names?.[code] ?? tenants.value.get(code) ?? code
  const categoryName = computed(() => {
    const code = order.value?.category
    if (!code) return '未分类'
    const c = categories.value.get(code)
    if (!c) return code
    const parent = c.parent_code ? categories.value.get(c.parent_code)?.name : undefined
    return parent ? `${parent} / ${c.name}` : c.name
  })
  const divisionName = computed(() => {
    const code = order.value?.division_code
    return code ? tenantName(code) : '—'
  })

  return { order, error, loading, load, unitName, tenantName, categoryName, divisionName }
}
