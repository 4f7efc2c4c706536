// Where an order can go from this tenant: its handling units (GET …/units) and its child levels (GET /tenants/{code}
// children), loaded once per page; names for ids and codes. A person who may not read one of them gets the other.
import { computed, ref } from 'vue'
import { api, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

export type Unit = Schemas['UnitOut']
export type TenantRef = Schemas['TenantRef']

const units = ref<Unit[]>([])
const children = ref<TenantRef[]>([])
const levels = ref<TenantRef[]>([]) // this tenant and the levels above it: whose urges come from above
let loadedFor = ''
let loading: Promise<void> | null = null

export function useTargets() {
  const session = useSession()

  /** Load the targets of ``code`` (the person's own tenant unless an admin screen shows another level). */
  function load(code: string = session.tenant): Promise<void> {
    if (loadedFor === code && loading) return loading
    loadedFor = code
    loading = Promise.all([
      api.GET('/api/v1/tenants/{code}/units', { params: { path: { code } } }),
      api.GET('/api/v1/tenants/{code}', { params: { path: { code } } }),
    ]).then(([u, t]) => {
      units.value = (u.data ?? []).filter((x) => x.active)
      children.value = t.data?.children ?? []
      levels.value = t.data ? [...(t.data.ancestors ?? []), { code: t.data.code, name: t.data.name } as TenantRef] : []
    })
    return loading
  }

  /** Where an order may go: the units that handle (not the centre itself). */
  const handlingUnits = computed(() => units.value.filter((u) => u.kind !== 'centre'))
  const unitName = computed(() => new Map(units.value.map((u) => [u.id, u.name])))
  const childName = computed(() => new Map(children.value.map((c) => [c.code, c.name])))
  /** A level's name: this tenant, one above it or a child (its code if none of these). */
  const levelName = (code: string) =>
    levels.value.find((l) => l.code === code)?.name ?? childName.value.get(code) ?? code

  /** A dispatch target's name: a unit id or a child tenant's code. */
  function targetName(to: number | string | null | undefined): string {
    if (to === null || to === undefined || to === '') return '—'
    if (typeof to === 'number') return unitName.value.get(to) ?? `单位 #${to}`
    return childName.value.get(to) ?? to
  }

  return { units, handlingUnits, children, load, unitName, childName, targetName, levelName }
}
