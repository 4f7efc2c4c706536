// A refusal's field errors ({"fields": [{"field", "message"}]}) by field, to show beside each field of a form.
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (error && typeof error === 'object' && 'fields' in error) {
    const fields = (error as { fields: unknown }).fields
    if (Array.isArray(fields)) {
      for (const f of fields) if (f && typeof f.field === 'string') out[f.field] = String(f.message ?? '')
    }
  }
  return out
}
