// Which tenant of the admin's subtree an administration screen works on: the admin's own, or one below it picked
// down the tree. Kept in the address (?tenant=410102), so a reload or a link keeps it and Back goes back up. Its
// detail (name, ancestors, children) names every tenant a setting can come from: the one in force is always this
// tenant's or an ancestor's. With `autoload` it reads the detail whenever the tenant changes; otherwise the view
// calls load() when it reads its settings, and again when `code` changes.
import { computed, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { api, reason, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

export type TenantDetail = Schemas['TenantDetail']

export function useAdminTenant(options: { autoload?: boolean } = {}) {
  const session = useSession()
  const route = useRoute()
  const router = useRouter()
  const code = computed(() => String(route.query.tenant ?? '') || session.tenant)
  const detail = ref<TenantDetail | null>(null)
  const home = ref<TenantDetail | null>(null)
  const error = ref('')

  async function read(which: string): Promise<TenantDetail | null> {
    const { data, error: refusal } = await api.GET('/api/v1/tenants/{code}', { params: { path: { code: which } } })
    if (!data) error.value = reason(refusal)
    return data ?? null
  }

  async function load(): Promise<void> {
    error.value = ''
    if (!home.value) home.value = await read(session.tenant)
    detail.value = code.value === session.tenant ? home.value : await read(code.value)
  }

  /** Show another tenant of the subtree, replacing the address (a setting's level, not a new page). */
  function pick(next: string): void {
    if (next === code.value) return
    void router.replace({ query: { ...route.query, tenant: next === session.tenant ? undefined : next } })
  }

  /** Go to another tenant of the subtree as a new page (Back returns). */
  function go(next: string): void {
    void router.push({ query: { ...route.query, tenant: next === session.tenant ? undefined : next } })
  }

  /** From the admin's own tenant down to the one shown: the breadcrumb (nothing above the admin's own). */
  const trail = computed(() => {
    const d = detail.value
    if (!d) return []
    const chain = [...d.ancestors, { code: d.code, name: d.name, level: d.level }]
    return chain.filter((t) => t.code.startsWith(session.tenant))
  })

  const names = computed(() => {
    const map = new Map<string, string>()
    for (const t of [...(home.value?.ancestors ?? []), ...(detail.value?.ancestors ?? []), ...(detail.value?.children ?? [])]) map.set(t.code, t.name)
    if (home.value) map.set(home.value.code, home.value.name)
    if (detail.value) map.set(detail.value.code, detail.value.name)
    return map
  })
  /** A tenant's name by its code (the code itself only while the names load). */
  function nameOf(which: string | null | undefined): string {
    if (!which) return ''
    return names.value.get(which) ?? which
  }
  const isHome = computed(() => code.value === session.tenant)
  const isProvince = computed(() => session.tenant.length === 2)

  if (options.autoload) watch(code, () => void load(), { immediate: true })
  return { code, detail, home, error, load, reload: load, pick, go, trail, nameOf, isHome, isProvince }
}
