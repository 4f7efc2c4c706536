// The tenant an admin screen shows: the signed-in person's own, or one of its subtree picked with TenantPicker (kept
// in the address as ?tenant=, so a link opens the same level). Its detail (name, ancestors, children) names every
// tenant a setting can come from: the one in force is always this tenant's or an ancestor's. A view calls load()
// when it reads its settings, and again when code changes.
import { computed, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { api, reason, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

export type TenantDetail = Schemas['TenantDetail']

export function useAdminTenant() {
  const session = useSession()
  const route = useRoute()
  const router = useRouter()
  const code = ref(typeof route.query.tenant === 'string' && route.query.tenant ? route.query.tenant : session.tenant)
  const detail = ref<TenantDetail | null>(null)
  const home = ref<TenantDetail | null>(null)
  const error = ref('')

  async function read(which: string): Promise<TenantDetail | null> {
    const { data, error: e } = await api.GET('/api/v1/tenants/{code}', { params: { path: { code: which } } })
    if (!data) error.value = reason(e)
    return data ?? null
  }

  async function load(): Promise<void> {
    error.value = ''
    if (!home.value) home.value = await read(session.tenant)
    detail.value = code.value === session.tenant ? home.value : await read(code.value)
  }

  /** Show another tenant of the subtree (its code stays in the address). */
  function pick(next: string): void {
    if (next === code.value) return
    code.value = next
    void router.replace({ query: { ...route.query, tenant: next === session.tenant ? undefined : next } })
  }

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

  return { code, detail, home, error, load, pick, nameOf, isHome, isProvince }
}
