// Who is signed in (GET /auth/me): user, tenant, roles, unit; the console's menus follow the roles.
import { defineStore } from 'pinia'
import { api, signIn, type Schemas } from '../api/client'

export type Me = Schemas['Me']

export const useSession = defineStore('session', {
  state: () => ({ me: null as Me | null, loading: false }),
  getters: {
    tenant: (s) => s.me?.tenant ?? '',
    roles: (s) => new Set(s.me?.roles ?? []),
  },
  actions: {
    async load(): Promise<Me | null> {
      if (this.me) return this.me
      this.loading = true
      const { data, response } = await api.GET('/auth/me')
      this.loading = false
      if (response.status === 401) {
        signIn()
        return null
      }
      this.me = data ?? null
      return this.me
    },
    has(...roles: Schemas['Role'][]): boolean {
      return roles.some((r) => this.roles.has(r))
    },
  },
})
