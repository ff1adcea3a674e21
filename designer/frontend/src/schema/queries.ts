/**
 * The workflow's named queries (`settings.queries`: name → a bare expression over the instance),
 * edited as rows. Rows are kept apart from the value so a half-typed name, or two empty ones, do
 * not lose a row; the value holds every row with a name.
 */
import { isPlainObject, objectOf } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'

export type QueryRow = [name: string, expression: string]

/** The server's rule (SETTINGS_SCHEMA's propertyNames), for servers that do not send one. */
export const QUERY_NAME = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$'

/** The value as rows. ``byName`` for a value as stored: PostgreSQL's jsonb keeps no key order,
 * so the order typed would not survive a reload, and by name it is the same on every load (the
 * instance page sorts so too). Within a session the order typed is kept. */
export function rowsOf(value: Json | undefined, byName = false): QueryRow[] {
  if (!isPlainObject(value)) return []
  const names = Object.keys(value)
  if (byName) names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return names.map((k) => [k, typeof value[k] === 'string' ? (value[k] as string) : JSON.stringify(value[k])])
}

/** The value the rows stand for: every named row (a later row with the same name wins, as in JSON). */
export function valueOf(rows: readonly QueryRow[]): { [key: string]: Json } | undefined {
  const named = rows.filter(([name]) => name !== '')
  return named.length ? objectOf(named) : undefined
}

/** The name rule of a map schema (its propertyNames pattern). */
export const namePattern = (schema: JsonSchema): RegExp => new RegExp(schema.propertyNames?.pattern ?? QUERY_NAME)

/** What is wrong with each row's name, as soon as it is typed (the server says it again on save). */
export function nameProblems(rows: readonly QueryRow[], pattern: RegExp): (string | null)[] {
  const seen = new Map<string, number>()
  rows.forEach(([name]) => seen.set(name, (seen.get(name) ?? 0) + 1))
  return rows.map(([name, expression]) => {
    if (name === '') return expression.trim() ? 'give the query a name' : null
    if (!pattern.test(name)) return 'a name starts with a letter or _ and has letters, digits, _ and - (64 at most)'
    if ((seen.get(name) ?? 0) > 1) return `two queries are named ${name}`
    return null
  })
}

/** The server's errors on one named query (`settings.queries.NAME`). */
export function errorsOfQuery<E extends { field?: string | null }>(errors: readonly E[], base: string, name: string): E[] {
  return name ? errors.filter((e) => e.field === `${base}.${name}`) : []
}

/** The server's errors on the queries as a whole (`settings.queries`: a bad name, too many). */
export function errorsOfAll<E extends { field?: string | null }>(errors: readonly E[], base: string): E[] {
  return errors.filter((e) => e.field === base)
}
