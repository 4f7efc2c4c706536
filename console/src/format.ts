// Times as the console shows them: the province's own clock, as the API gives it (+08:00).

/** 2026-10-09T10:00:00+08:00 → 2026-10-09 10:00 */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  return iso.slice(0, 16).replace('T', ' ')
}

/** 2026-10-09T10:00:00+08:00 → 10-09 10:00 */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const m = iso.match(/^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/)
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : iso
}
