import type { Json } from './types'

/** JSON with object keys sorted: equal values give equal strings whatever the key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => [key, (value as Record<string, unknown>)[key]] as const)
    return objectOf(entries.filter(([, v]) => v !== undefined).map(([k, v]) => [k, sortKeys(v)] as const))
  }
  return value
}

/**
 * A plain object of these entries, each its own key. Keys written by people (a node's id, a
 * header, a variable) may be `__proto__` or `constructor`: `obj[key] = v` would then set the
 * object's prototype, or be read back as what every object inherits.
 */
export function objectOf<T>(entries: Iterable<readonly [string, T]>): { [key: string]: T } {
  return Object.fromEntries(entries)
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return canonical(a) === canonical(b)
}

export function isPlainObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Pretty JSON for display and editing ("" for undefined). */
export function pretty(value: unknown): string {
  if (value === undefined) return ''
  return JSON.stringify(value, null, 2)
}
