// A one-tab desk (review 待审核, follow-up 待回访): the tab's queue with live refresh, the chosen order's detail,
// and moving on to the next order once one is decided.
import { computed, onMounted, ref, watch } from 'vue'
import { useInbox } from './useInbox'
import { useOrder } from './useOrder'
import { useTargets } from '../dispatch/useTargets'

export function useDesk(tabName: string) {
  const inbox = useInbox(tabName)
  const order = useOrder()
  const active = ref<string | null>(null)
  const count = computed(() => inbox.counts.value[tabName] ?? inbox.items.value.length)

  watch(active, (n) => {
    if (n) void order.load(n)
    else order.detail.value = null
  })
  // Keep a choice while its order is still in the queue; else take the first.
  watch(inbox.items, (items) => {
    if (!items.some((o) => o.number === active.value)) active.value = items[0]?.number ?? null
  })

  onMounted(() => {
    void useTargets().load()
    void inbox.loadCounts()
    void inbox.select(tabName)
  })

  /** After a decision: the next order (the one below), and the queue and counts again. */
  async function decided(): Promise<void> {
    const items = inbox.items.value
    const i = items.findIndex((o) => o.number === active.value)
    const next = items[i + 1] ?? items[i - 1]
    inbox.items.value = items.filter((o) => o.number !== active.value)
    active.value = next?.number ?? null
    await inbox.refresh(false)
  }

  return { inbox, order, active, count, decided }
}
