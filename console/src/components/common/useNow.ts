// One clock for every countdown on the page: a single interval, started by the first user, stopped by the last.
import { onBeforeUnmount, ref } from 'vue'

const now = ref(Date.now())
let users = 0
let timer: ReturnType<typeof setInterval> | undefined

export function useNow() {
  if (users++ === 0) timer = setInterval(() => (now.value = Date.now()), 1000)
  onBeforeUnmount(() => {
    if (--users === 0 && timer) clearInterval(timer)
  })
  return now
}
