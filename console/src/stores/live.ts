// Live updates (GET /api/v1/live, server-sent events fed by the platform's own commits): an inbox refreshes
// when an order of its person changes; the seat pops when the telephony system announces a call (来电弹屏); the
// overview (总览) and the wall screen re-read when the numbers of tenants in the person's subtree changed.
import { defineStore } from 'pinia'

export interface OrderEvent {
  tenant: string
  number: string
  action: string
  status: string
  unit_ids: number[]
  at: string
}
export interface CallEvent {
  call_id: string
  tenant: string
  phone: string
  seat: string
  at: string
}

/** The numbers of these tenants changed (codes only; ``cut``: a code stands for its whole subtree). */
export interface OverviewEvent {
  tenants: string[]
  cut?: boolean
}

type Listener<T> = (event: T) => void

export const useLive = defineStore('live', {
  state: () => ({ connected: false, source: null as EventSource | null, last: null as OrderEvent | null }),
  actions: {
    connect(): void {
      if (this.source) return
      const source = new EventSource('/api/v1/live')
      source.onopen = () => (this.connected = true)
      source.onerror = () => (this.connected = false) // EventSource reconnects by itself
      source.addEventListener('order', (e) => {
        const event = JSON.parse((e as MessageEvent).data) as OrderEvent
        this.last = event
        orderListeners.forEach((l) => l(event))
      })
      source.addEventListener('call', (e) => {
        const event = JSON.parse((e as MessageEvent).data) as CallEvent
        callListeners.forEach((l) => l(event))
      })
      source.addEventListener('overview', (e) => {
        const event = JSON.parse((e as MessageEvent).data) as OverviewEvent
        overviewListeners.forEach((l) => l(event))
      })
      this.source = source
    },
    onOrder(listener: Listener<OrderEvent>): () => void {
      orderListeners.add(listener)
      return () => orderListeners.delete(listener)
    },
    onCall(listener: Listener<CallEvent>): () => void {
      callListeners.add(listener)
      return () => callListeners.delete(listener)
    },
    onOverview(listener: Listener<OverviewEvent>): () => void {
      overviewListeners.add(listener)
      return () => overviewListeners.delete(listener)
    },
  },
})

const orderListeners = new Set<Listener<OrderEvent>>()
const callListeners = new Set<Listener<CallEvent>>()
const overviewListeners = new Set<Listener<OverviewEvent>>()
