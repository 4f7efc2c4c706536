// The tenant's categories (GET …/categories: the province's taxonomy plus this subtree's extensions) as a tree for
// a cascader (majors → minors), and names by code.
import { computed, ref } from 'vue'
import { api, type Schemas } from '../../api/client'
import { useSession } from '../../stores/session'

type Category = Schemas['CategoryView']
export interface CategoryNode {
  value: string
  label: string
  children?: CategoryNode[]
  [key: string]: unknown // the cascader's option type
}

const all = ref<Category[]>([])
let loadedFor = ''

export function useCategories() {
  const session = useSession()

  /** Load what ``code`` sees (the person's own tenant unless an admin screen shows another level). */
  async function load(code: string = session.tenant): Promise<void> {
    if (loadedFor === code) return
    loadedFor = code
    const { data } = await api.GET('/api/v1/tenants/{code}/categories', { params: { path: { code } } })
    all.value = (data ?? []).filter((c) => c.active)
  }

  const tree = computed<CategoryNode[]>(() => {
    const nodes = new Map<string, CategoryNode>(all.value.map((c) => [c.code, { value: c.code, label: `${c.name}（${c.code}）` }]))
    const roots: CategoryNode[] = []
    for (const c of all.value) {
      const node = nodes.get(c.code)!
      const parent = c.parent_code ? nodes.get(c.parent_code) : undefined
      if (parent) (parent.children ??= []).push(node)
      else roots.push(node)
    }
    return roots
  })
  const names = computed(() => new Map(all.value.map((c) => [c.code, c.name])))
  /** The path of codes from the major down to a code, for the cascader's value. */
  function pathOf(code: string): string[] {
    const byCode = new Map(all.value.map((c) => [c.code, c]))
    const path: string[] = []
    for (let c = byCode.get(code); c; c = c.parent_code ? byCode.get(c.parent_code) : undefined) path.unshift(c.code)
    return path.length ? path : [code]
  }

  return { load, tree, names, pathOf }
}
