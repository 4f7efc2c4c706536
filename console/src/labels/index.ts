// The console's one set of label tables (one per enum of the OpenAPI document) and the way to read them.
export * from './orders'
export * from './vocabulary'
export * from './people'
export * from './tenants'
export * from './supervision'
export * from './settings'
export { ERROR, GENERIC, fieldRefusals, sayRefusal } from './errors'

/** A value's label, '—' when there is none; a value the table lacks shows as it is (the build and
 *  tests/fast/test_vocabulary.py keep that from happening). */
export function label<K extends string>(table: Record<K, string>, key: K | string | null | undefined): string {
  if (!key) return '—'
  return (table as Record<string, string>)[key] ?? key
}
