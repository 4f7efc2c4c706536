// Who is signed in (GET /auth/me): the person, their level and unit (codes and names), roles; the console's menus
// follow the roles, its header shows the names.
import { defineStore } from 'pinia'
import { api, signIn, type Schemas } from '../api/client'

export type Me = Schemas['Me']

export const useSession = defineStore('session', {
  state: () => ({ me: null as Me | null, loading: false }),
  getters: {
    tenant: (s) => s.me?.tenant ?? '',
    roles: (s) => new Set(s.me?.roles ?? []),
    /** The person as people call them (given_name), never the username unless the account has no name. */
    name: (s) => s.me?.name || s.me?.user || '',
    /** Where they work, by name: their level's centre (郑州市 12345 热线), or their unit when they are of one (a unit's name that already
     * says its level — 林山寨街道城市管理办公室 — is shown alone). */
    place: (s): string => {
      const me = s.me
      if (!me) return ''
      const level = me.tenant_name ?? me.tenant
      if (!me.unit_name) return `${level} 12345 热线` // the level's hotline centre
      return me.unit_name.startsWith(level) ? me.unit_name : `${level} · ${me.unit_name}`
    },
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
