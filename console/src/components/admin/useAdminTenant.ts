// Which tenant of the admin's subtree an administration screen works on: the admin's own, or one below it picked
// down the tree. Kept in the address (?tenant=410102), so a reload or a link keeps it and Back goes back up.
import { computed, ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { api, reason, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

export type TenantDetail = Schemas['TenantDetail']

export function useAdminTenant() {
  const session = useSession()
  const route = useRoute()
  const router = useRouter()
  const detail = ref<TenantDetail | null>(null)
  const error = ref('')
  const code = computed(() => String(route.query.tenant ?? '') || session.tenant)

  async function load(): Promise<void> {
    const { data, error: refusal } = await api.GET('/api/v1/tenants/{code}', { params: { path: { code: code.value } } })
    detail.value = data ?? null
    error.value = data ? '' : reason(refusal)
  }

  /** From the admin's own tenant down to the one shown: the breadcrumb (nothing above the admin's own). */
  const trail = computed(() => {
    const d = detail.value
    if (!d) return []
    const home = session.me?.tenant_path ?? ''
    const all = [...d.ancestors, { code: d.code, name: d.name, level: d.level }]
    const depth = home.split('/').length
    return all.slice(depth - 1)
  })

  function go(to: string): void {
    void router.push({ query: { ...route.query, tenant: to === session.tenant ? undefined : to } })
  }

  watch(code, () => void load(), { immediate: true })
  return { code, detail, trail, error, go, reload: load }
}
