/** What the inspector says about handlers: which ones match a search, what one reads (pure). */
import type { Handler } from '../api/types'
import { isPlainObject } from '../graph/json'
import type { Json, JsonSchema } from '../graph/types'
import { typesOf } from '../schema/form'
import { propertyOf } from '../schema/example'

/**
 * The handlers whose name or description holds every word typed, those matching by name first
 * (each group keeps the registry's order).
 */
export function matchHandlers(handlers: readonly Handler[], query: string): Handler[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...handlers]
  const byName: Handler[] = []
  const byText: Handler[] = []
  for (const h of handlers) {
    const name = h.name.toLowerCase()
    const text = `${name} ${(h.description ?? '').toLowerCase()}`
    if (words.every((w) => name.includes(w))) byName.push(h)
    else if (words.every((w) => text.includes(w))) byText.push(h)
  }
  return [...byName, ...byText]
}

export interface InputField {
  name: string
  type: string
  required: boolean
  description: string
}

const TYPE_WORDS: Record<string, string> = { string: 'text', integer: 'whole number', number: 'number', boolean: 'yes/no', array: 'list', object: 'object', null: 'null' }
const MOST_CHOICES = 5

/** A field's type in the designer's words: "text (date)", "list of text", "one of eu, us". */
export function typeText(schema: JsonSchema): string {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const shown = schema.enum.slice(0, MOST_CHOICES).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    return `one of ${shown.join(', ')}${schema.enum.length > MOST_CHOICES ? ', …' : ''}`
  }
  const types = typesOf(schema)
  if (types.length === 0) return schema.properties ? 'object' : 'any'
  return types
    .map((t) => {
      if (t === 'array') return schema.items ? `list of ${typeText(schema.items)}` : 'list'
      const word = TYPE_WORDS[t] ?? t
      return t === 'string' && schema.format ? `${word} (${schema.format})` : word
    })
    .join(' or ')
}

/** The top-level fields an input schema declares, in its order. */
export function inputFields(schema: JsonSchema): InputField[] {
  const required = new Set(Array.isArray(schema.required) ? schema.required : [])
  return Object.keys(schema.properties ?? {}).map((name) => {
    const field = propertyOf(schema, name) ?? {}
    return { name, type: typeText(field), required: required.has(name), description: typeof field.description === 'string' ? field.description : '' }
  })
}

/**
 * The required fields a step's input mapping leaves out, or null when the mapping is not a list of
 * fields (none: the workflow input as is; a {{ template }}: computed when it runs).
 */
export function unmappedRequired(schema: JsonSchema, mapping: Json | undefined): string[] | null {
  if (!isPlainObject(mapping)) return null
  return inputFields(schema)
    .filter((f) => f.required && !Object.hasOwn(mapping, f.name))
    .map((f) => f.name)
}
