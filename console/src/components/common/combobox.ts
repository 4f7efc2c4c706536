// Element Plus's cascader puts aria-expanded on a plain text input, which axe-core rightly calls invalid
// (aria-allowed-attr, critical): the input is a combobox, so say so whenever the picker is in the page
// (a dialog renders its content only when first opened, hence a watch on the element, not onMounted). The
// cascader sets aria-expanded only once its panel first opens; a combobox needs it from the start, and the
// panel it controls named (the popper the trigger already names in aria-describedby).
import { watch, type Ref } from 'vue'

export function useComboboxRole(root: Ref<HTMLElement | null>): void {
  watch(root, (element) => {
    const popper = element?.querySelector('[aria-describedby]')?.getAttribute('aria-describedby')
    element?.querySelectorAll('input').forEach((input) => {
      input.setAttribute('role', 'combobox')
      if (!input.hasAttribute('aria-expanded')) input.setAttribute('aria-expanded', 'false')
      if (popper && !input.hasAttribute('aria-controls')) input.setAttribute('aria-controls', popper)
    })
  }, { flush: 'post', immediate: true })
}
