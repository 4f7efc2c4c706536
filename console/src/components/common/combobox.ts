// Element Plus's cascader puts aria-expanded on a plain text input, which axe-core rightly calls invalid
// (aria-allowed-attr, critical): the input is a combobox, so say so whenever the picker is in the page
// (a dialog renders its content only when first opened, hence a watch on the element, not onMounted). The
// cascader sets aria-expanded only once its panel first opens; a combobox needs it from the start. And an OPEN
// combobox must name the list it controls (aria-controls: aria-required-attr, critical): the panel's id is known
// only while it is open (the tooltip trigger's aria-describedby, set on opening), so the attributes are kept in
// step with every change of those two (a MutationObserver), and the panel stays named once it has been open.
import { watch, type Ref } from 'vue'

function set(element: Element, name: string, value: string): void {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value) // unchanged: no new mutation
}

function sync(root: HTMLElement): void {
  const panel = root.querySelector('[aria-describedby]')?.getAttribute('aria-describedby')
  root.querySelectorAll('input').forEach((input) => {
    set(input, 'role', 'combobox')
    if (!input.hasAttribute('aria-expanded')) set(input, 'aria-expanded', 'false')
    if (panel) set(input, 'aria-controls', panel)
  })
}

export function useComboboxRole(root: Ref<HTMLElement | null>): void {
  watch(root, (element, _old, onCleanup) => {
    if (!element) return
    sync(element)
    const observer = new MutationObserver(() => sync(element))
    observer.observe(element, { subtree: true, childList: true, attributes: true,
      attributeFilter: ['aria-describedby', 'aria-expanded'] })
    onCleanup(() => observer.disconnect())
  }, { flush: 'post', immediate: true })
}
