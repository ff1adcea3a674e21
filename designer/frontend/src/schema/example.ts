/** Example values from JSON Schemas: a starting point someone edits, not a valid document. */
import { objectOf } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'
import { formatWhen } from '../ui/when'
import { typesOf } from './form'

const DEEPEST = 6

/** The schema's own child schema for `key` (never one every object inherits, like `constructor`). */
export function propertyOf(schema: JsonSchema, key: string): JsonSchema | undefined {
  const props = schema.properties
  return props && Object.hasOwn(props, key) ? props[key] : undefined
}

/** What the schema offers first (default, const, examples, enum), else a placeholder of its type. */
export function exampleOf(schema: JsonSchema, today: string, depth = 0): Json {
  if (depth > DEEPEST) return null
  if ('default' in schema) return schema.default as Json
  if ('const' in schema) return schema.const as Json
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0] as Json
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const alternatives = schema.oneOf ?? schema.anyOf
  if (alternatives?.length) return exampleOf(alternatives[0], today, depth + 1)
  const type = typesOf(schema).find((t) => t !== 'null') ?? (schema.properties ? 'object' : schema.items ? 'array' : typesOf(schema)[0])
  switch (type) {
    case 'string':
      return placeholderText(schema, today)
    case 'integer':
    case 'number':
      return placeholderNumber(schema, type === 'integer')
    case 'boolean':
      return false
    case 'array':
      return schema.items ? [exampleOf(schema.items, today, depth + 1)] : []
    case 'object':
      return objectOf(Object.keys(schema.properties ?? {}).map((k) => [k, exampleOf(propertyOf(schema, k)!, today, depth + 1)] as const))
    default:
      return null
  }
}

function placeholderText(schema: JsonSchema, today: string): string {
  switch (schema.format) {
    case 'date':
      return today
    case 'date-time':
      return `${today}T09:00:00Z`
    case 'email':
      return 'name@example.com'
    case 'uri':
    case 'url':
      return 'https://example.com/'
    default:
      return ''
  }
}

function placeholderNumber(schema: JsonSchema, integer: boolean): number {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : 0)
  const value = integer ? Math.ceil(low) : low
  return schema.maximum !== undefined && value > schema.maximum ? schema.maximum : value
}

/** Today as YYYY-MM-DD in the browser's time zone (what a date field means to the person typing). */
export const localToday = (now = new Date()): string => formatWhen(now).slice(0, 10)
