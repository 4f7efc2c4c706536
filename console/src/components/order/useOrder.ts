// One order's detail and the names around it (units, child levels, category, division), reloaded on demand.
import { computed, ref } from 'vue'
import { api, reason, type OrderDetail, type Schemas } from '../../api/client'
import { eventsOf } from './timeline'

export function useOrder() {
  const order = ref<OrderDetail | null>(null)
  const error = ref('')
  const loading = ref(false)
  const units = ref(new Map<string, string>()) // `${tenant}:${id}` → name: unit ids are per level
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
    const key = data ? `${tenant}${data.cross_level_timeline?.length ? '+below' : ''}` : ''
    if (data && namesOf !== key) {
      namesOf = key
      void names(tenant, data)
    }
  }

  async function names(tenant: string, detail: OrderDetail): Promise<void> {
    const [u, t, c] = await Promise.all([
      api.GET('/api/v1/tenants/{code}/units', { params: { path: { code: tenant } } }),
      api.GET('/api/v1/tenants/{code}', { params: { path: { code: tenant } } }),
      api.GET('/api/v1/tenants/{code}/categories', { params: { path: { code: tenant } } }),
    ])
    const known = new Map<string, string>()
    for (const x of [...(t.data?.ancestors ?? []), ...(t.data?.children ?? [])]) known.set(x.code, x.name)
    if (t.data) known.set(t.data.code, t.data.name)
    categories.value = new Map((c.data ?? []).map((x) => [x.code, x]))
    const division = detail.division_code
    if ((division && !known.has(division)) || detail.cross_level_timeline?.length) {
      const d = await api.GET('/api/v1/tenants/{code}/descendants', { params: { path: { code: tenant } } })
      for (const x of d.data ?? []) known.set(x.code, x.name)
    }
    tenants.value = known
    // The units of the levels below that appear in the history (each level numbers its own units).
    const below = [...new Set(eventsOf(detail).map((e) => e.tenant ?? e.actor_tenant).filter((c) => c !== tenant))]
    const lists = await Promise.all(below.map((code) =>
      api.GET('/api/v1/tenants/{code}/units', { params: { path: { code } } }).then((r) => [code, r.data ?? []] as const)))
    units.value = new Map([[tenant, u.data ?? []] as const, ...lists]
      .flatMap(([code, list]) => list.map((x) => [`${code}:${x.id}`, x.name] as [string, string])))
  }

  /** A unit's name; ``at`` is its level (the order's own by default). */
  const unitName = (id: number, at?: string | null) => {
    const level = at ?? order.value?.number.split('-')[0] ?? ''
    return units.value.get(`${level}:${id}`) ?? `${tenantName(level)}单位 ${id}`
  }
  const tenantName = (code: string) => tenants.value.get(code) ?? code
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
