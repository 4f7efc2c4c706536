// The overview's data (总览): a tenant's (or one unit's) numbers for a period and the trend, read again when the
// live stream says numbers of the subtree changed (GET /api/v1/live, `event: overview`) and, if asked, every
// `refreshMs` (the wall screen). One read at a time: what the live stream asks for meanwhile is read once after.
import { onBeforeUnmount, ref, watch, type Ref } from 'vue'
import { api, reason, type Schemas } from '../../api/client'
import { useLive, type OverviewEvent } from '../../stores/live'
import { trendEnd } from './numbers'

export interface OverviewPlace {
  code: string
  unit: number | null
  period: string
}

/** Whether an `overview` event concerns the subtree of ``code``: a code in it changed (or, cut, may have). */
export function concerns(event: OverviewEvent, code: string): boolean {
  return event.tenants.some((t) => t.startsWith(code) || (!!event.cut && code.startsWith(t)))
}

export function useOverview(place: Ref<OverviewPlace | null>, options: { refreshMs?: number; days?: number } = {}) {
  const overview = ref<Schemas['Overview'] | null>(null)
  const unit = ref<Schemas['UnitOverview'] | null>(null)
  const trend = ref<Schemas['Trend'] | null>(null)
  const error = ref('')
  const loading = ref(false)
  const readAt = ref<Date | null>(null)
  let again = false
  let serial = 0

  async function load(): Promise<void> {
    const where = place.value
    if (!where) return
    if (loading.value) {
      again = true
      return
    }
    loading.value = true
    const mine = ++serial
    const period = { period: where.period }
    const to = trendEnd(where.period)
    const trendQuery = { ...(to ? { to } : {}), ...(options.days ? { days: options.days } : {}),
                         ...(where.unit ? { unit: where.unit } : {}) }
    const [numbers, days] = await Promise.all([
      where.unit
        ? api.GET('/api/v1/tenants/{code}/overview/units/{unit_id}', { params: { path: { code: where.code, unit_id: where.unit }, query: period } })
        : api.GET('/api/v1/tenants/{code}/overview', { params: { path: { code: where.code }, query: period } }),
      api.GET('/api/v1/tenants/{code}/overview/trend', { params: { path: { code: where.code }, query: trendQuery } }),
    ])
    loading.value = false
    // A result still wanted: the newest read, of the place still shown (not one left meanwhile).
    if (mine === serial && JSON.stringify(place.value) === JSON.stringify(where)) {
      const failed = numbers.error ?? days.error
      error.value = failed ? reason(failed) : ''
      if (!failed) {
        if (where.unit) {
          unit.value = numbers.data as Schemas['UnitOverview']
          overview.value = null
        } else {
          overview.value = numbers.data as Schemas['Overview']
          unit.value = null
        }
        trend.value = days.data ?? null
        readAt.value = new Date()
      }
    }
    if (again) {
      again = false
      void load()
    }
  }

  const live = useLive()
  const stop = live.onOverview((event) => {
    const where = place.value
    if (where && concerns(event, where.code)) void load()
  })
  const timer = options.refreshMs ? setInterval(() => void load(), options.refreshMs) : undefined
  watch(() => JSON.stringify(place.value), () => void load(), { immediate: true }) // a new place, not a new object
  onBeforeUnmount(() => {
    stop()
    if (timer) clearInterval(timer)
  })

  return { overview, unit, trend, error, loading, readAt, load }
}
