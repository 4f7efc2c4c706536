// The API client, typed by schema.d.ts, which `npm run gen` generates from the platform's OpenAPI document
// (never written by hand). Same origin: the session cookie signs in; every change carries the CSRF token.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, components } from './schema'

export type Schemas = components['schemas']
export type OrderOut = Schemas['OrderOut']
export type OrderDetail = Schemas['OrderDetail']

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)hotline_csrf=([^;]+)/)
  return match ? decodeURIComponent(match[1]) : ''
}

/** Sign in (Keycloak's page) when there is no session, and come back to this very page afterwards (`next`: the
 * server takes only a page of this console). */
export function signIn(): void {
  const here = window.location.pathname + window.location.search
  window.location.assign(`/auth/login?next=${encodeURIComponent(here)}`)
}

const session: Middleware = {
  onRequest({ request }) {
    if (WRITES.has(request.method)) request.headers.set('X-CSRF-Token', csrfToken())
    return request
  },
  onResponse({ response }) {
    if (response.status === 401 && !window.location.pathname.startsWith('/console/citizen')) signIn()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' })
api.use(session)

/** The sentence an error body carries ({"error","detail"}), for a message a person reads. */
export function reason(error: unknown): string {
  if (error && typeof error === 'object' && 'detail' in error) {
    const detail = (error as { detail: unknown }).detail
    if (typeof detail === 'string') return detail
  }
  return '操作失败，请稍后重试'
}
