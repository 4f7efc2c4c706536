// The 督办 desk (GET /api/v1/tenants/{code}/supervise → DeskPage; POST …/supervise/urge → each order's result):
// the subtree's red, overdue and disputed orders with the filters, page by page, the counts of each kind, and
// urging several at once. The desk reads the platform's index, which the assessment consumer keeps with the same
// facts as the overview: it re-reads on the live stream's `overview` event for its subtree (sent once those facts
// are applied), every REFRESH_MS in case the stream was down, and on demand.
import { onBeforeUnmount, onMounted, reactive, ref } from 'vue'
import { api, reason, type Schemas } from '../../api/client'
import type { paths } from '../../api/schema'
import { useSession } from '../../stores/session'
import { useLive } from '../../stores/live'
import { concerns } from '../overview/useOverview'

export type DeskItem = Schemas['DeskItem']
export type DeskCounts = Schemas['DeskCounts']
export type UrgeResult = Schemas['UrgeResult']
type Query = NonNullable<paths['/api/v1/tenants/{code}/supervise']['get']['parameters']['query']>

export interface DeskFilters {
  kind: '' | 'red' | 'overdue' | 'disputed'
  level: '' | 'province' | 'city' | 'district' | 'town'
  tenant: string
  area: string
  category: string
  light: '' | 'green' | 'yellow' | 'red'
  urged: '' | 'yes' | 'no'
  sort: 'late' | '-late'
}

const PAGE = 50
const REFRESH_MS = 60_000

/** A row's key: the record the desk acts on (unique on the desk). */
export const rowKey = (r: { tenant: string; number: string }) => `${r.tenant}:${r.number}`

export function blankFilters(): DeskFilters {
  return { kind: '', level: '', tenant: '', area: '', category: '', light: '', urged: '', sort: 'late' }
}

export function useSuperviseDesk() {
  const session = useSession()
  const filters = reactive<DeskFilters>(blankFilters())
  const items = ref<DeskItem[]>([])
  const counts = ref<DeskCounts>({ red: 0, overdue: 0, disputed: 0, total: 0 })
  const cursor = ref<string | null>(null)
  const mayUrge = ref(false)
  const loading = ref(false)
  const error = ref('')
  const results = reactive(new Map<string, UrgeResult>())

  function query(after: string | null, limit: number): Query {
    const f = filters
    return {
      ...(f.kind ? { kind: [f.kind] } : {}),
      ...(f.level ? { level: f.level } : {}),
      ...(f.tenant ? { tenant: f.tenant } : {}),
      ...(f.area ? { area: f.area } : {}),
      ...(f.category ? { category: f.category } : {}),
      ...(f.light ? { light: f.light } : {}),
      ...(f.urged ? { urged: f.urged === 'yes' } : {}),
      sort: f.sort,
      limit,
      ...(after ? { cursor: after } : {}),
    }
  }

  async function fetchPage(after: string | null, limit: number) {
    return api.GET('/api/v1/tenants/{code}/supervise', {
      params: { path: { code: session.tenant }, query: query(after, limit) },
    })
  }

  /** The first page again (as many rows as are shown, so "more" is not lost). */
  async function load(): Promise<void> {
    loading.value = true
    const { data, error: refusal } = await fetchPage(null, Math.min(200, Math.max(PAGE, items.value.length)))
    loading.value = false
    if (!data) {
      error.value = reason(refusal)
      return
    }
    error.value = ''
    items.value = data.items
    counts.value = data.counts
    cursor.value = data.next_cursor ?? null
    mayUrge.value = data.may_urge
  }

  async function more(): Promise<void> {
    if (!cursor.value) return
    loading.value = true
    const { data, error: refusal } = await fetchPage(cursor.value, PAGE)
    loading.value = false
    if (!data) {
      error.value = reason(refusal)
      return
    }
    items.value = [...items.value, ...data.items]
    cursor.value = data.next_cursor ?? null
  }

  /** 督办 of these rows with one reason and 督办时限: one call, each order's own result (some may be refused). */
  async function urge(rows: DeskItem[], why: string, due: string): Promise<string> {
    const { data, error: refusal } = await api.POST('/api/v1/tenants/{code}/supervise/urge', {
      params: { path: { code: session.tenant } },
      body: { orders: rows.map((r) => ({ tenant: r.tenant, number: r.number })), reason: why, due },
    })
    if (!data) return reason(refusal)
    for (const r of data.results) results.set(rowKey(r), r)
    await load()
    return ''
  }

  let timer: ReturnType<typeof setInterval> | undefined
  let stopListening = () => {}
  onMounted(() => {
    stopListening = useLive().onOverview((event) => {
      if (!loading.value && concerns(event, session.tenant)) void load()
    })
    timer = setInterval(() => {
      if (!loading.value && document.visibilityState === 'visible') void load()
    }, REFRESH_MS)
  })
  onBeforeUnmount(() => {
    stopListening()
    clearInterval(timer)
  })

  return { filters, items, counts, cursor, mayUrge, loading, error, results, load, more, urge }
}
