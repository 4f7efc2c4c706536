// The person's inbox (GET /api/v1/tenants/{code}/inbox → counts; GET …/inbox/{tab} → OrderPage): the counts of
// each tab, one tab's orders page by page, and a live refresh (within a second of an order event of this tenant)
// that marks the rows that were not there before.
import { onBeforeUnmount, reactive, ref } from 'vue'
import { api, reason, type OrderOut, type Schemas } from '../../api/client'
import { INBOX_TAB } from '../../labels'
import { useSession } from '../../stores/session'
import { useLive } from '../../stores/live'

// The tabs in the order the API names them, each with its label (src/labels/orders.ts).
export const TABS = (Object.entries(INBOX_TAB) as [Schemas['InboxTab'], string][]).map(([tab, label]) => ({ tab, label }))

const PAGE = 50
const FRESH_MS = 4000

export function useInbox(initialTab: string) {
  const session = useSession()
  const counts = ref<Record<string, number>>({})
  const tab = ref(initialTab)
  const items = ref<OrderOut[]>([])
  const cursor = ref<string | null>(null)
  const loading = ref(false)
  const error = ref('')
  const fresh = reactive(new Set<string>())

  async function loadCounts(): Promise<void> {
    const { data, error: e } = await api.GET('/api/v1/tenants/{code}/inbox', {
      params: { path: { code: session.tenant } },
    })
    if (data) counts.value = (data as { counts: Record<string, number> }).counts
    else if (e) error.value = reason(e)
  }

  async function fetchPage(after: string | null, limit: number) {
    return api.GET('/api/v1/tenants/{code}/inbox/{tab}', {
      params: { path: { code: session.tenant, tab: tab.value }, query: { cursor: after ?? undefined, limit } },
    })
  }

  /** The first page again (as many rows as are shown, so "load more" is not lost); new rows are marked. */
  async function reload(mark = false): Promise<void> {
    const shown = new Set(items.value.map((o) => o.number))
    const asked = tab.value
    loading.value = true
    const { data, error: e } = await fetchPage(null, Math.min(200, Math.max(PAGE, items.value.length)))
    loading.value = false
    if (asked !== tab.value) return // the person moved to another tab meanwhile
    if (!data) {
      error.value = reason(e)
      return
    }
    error.value = ''
    const page = data as { items: OrderOut[]; next_cursor: string | null; tab: string }
    tab.value = page.tab // `auto` becomes the tab the server chose
    items.value = page.items
    cursor.value = page.next_cursor
    if (mark) {
      for (const o of page.items) {
        if (shown.has(o.number)) continue
        fresh.add(o.number)
        setTimeout(() => fresh.delete(o.number), FRESH_MS)
      }
    }
  }

  async function more(): Promise<void> {
    if (!cursor.value) return
    const asked = tab.value
    loading.value = true
    const { data, error: e } = await fetchPage(cursor.value, PAGE)
    loading.value = false
    if (asked !== tab.value) return
    if (!data) {
      error.value = reason(e)
      return
    }
    const page = data as { items: OrderOut[]; next_cursor: string | null }
    items.value = [...items.value, ...page.items]
    cursor.value = page.next_cursor
  }

  /** The first tab where work waits, chosen by the server with its rows (GET …/inbox/auto): one round trip. */
  async function selectBusiest(): Promise<string> {
    tab.value = 'auto'
    items.value = []
    cursor.value = null
    await reload()
    return tab.value
  }

  async function select(next: string): Promise<void> {
    tab.value = next
    items.value = []
    cursor.value = null
    await reload()
  }

  async function refresh(mark = true): Promise<void> {
    await Promise.all([loadCounts(), reload(mark)])
  }

  // Several events of one step (or a batch dispatch) come together: one refresh for them, soon after.
  let pending: ReturnType<typeof setTimeout> | undefined
  const stop = useLive().onOrder((event) => {
    if (event.tenant !== session.tenant) return
    clearTimeout(pending)
    pending = setTimeout(() => void refresh(true), 150)
  })
  onBeforeUnmount(() => {
    stop()
    clearTimeout(pending)
  })

  return { counts, tab, items, cursor, loading, error, fresh, loadCounts, reload, more, select, selectBusiest, refresh }
}
