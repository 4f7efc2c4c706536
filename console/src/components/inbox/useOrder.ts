// One order's detail (GET /api/v1/tenants/{code}/orders/{number}) and its actions (POST …/{action}).
import { ref } from 'vue'
import { api, reason, type OrderDetail, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

export type ActionBody = Schemas['ActionRequest'] & { attachment_ids?: number[] }

export function useOrder() {
  const session = useSession()
  const detail = ref<OrderDetail | null>(null)
  const loading = ref(false)
  const error = ref('')

  async function load(number: string): Promise<void> {
    loading.value = true
    const { data, error: e } = await api.GET('/api/v1/tenants/{code}/orders/{number}', {
      params: { path: { code: session.tenant, number } },
    })
    loading.value = false
    detail.value = data ?? null
    error.value = data ? '' : reason(e)
  }

  return { detail, loading, error, load }
}

/** One action on one order; the error's sentence when refused, '' when done. */
export async function act(tenant: string, number: string, action: string, body: ActionBody): Promise<string> {
  const { error } = await api.POST('/api/v1/tenants/{code}/orders/{number}/{action}', {
    params: { path: { code: tenant, number, action } },
    body,
  })
  return error ? reason(error) : ''
}
