// The API client, typed by schema.d.ts, which `npm run gen` generates from the platform's OpenAPI document
// (never written by hand). Same origin: the session cookie signs in; every change carries the CSRF token.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, components } from './schema'
import { sayRefusal } from '../labels/errors'

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

/** A refusal in Chinese, for a message a person reads: from the body's stable `error` code and its `params`
 *  (src/labels/errors.ts, one sentence per code of the API's ErrorCode), never its English `detail`, which
 *  stays in the body for the logs. Anything that is not an error body reads as a generic sentence. */
export function reason(error: unknown): string {
  return sayRefusal(error)
}
