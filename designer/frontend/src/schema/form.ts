/** Helpers for the inspector form generated from a step type's config JSON Schema. */
import type { Json, JsonSchema } from '../graph/types'
import { isPlainObject } from '../graph/json'

export type FieldKind =
  | 'handler'
  | 'compensate' // a handler name, or {handler, retry}: the handler picker plus an optional own retry policy
  | 'template' // a child workflow's template name (or a {{ expression }} choosing one)
  | 'templates' // a list of template names (allowed workflows)
  | 'template-version' // a published version of the child template chosen beside it (empty: the latest)
  | 'expression'
  | 'enum'
  | 'boolean'
  | 'integer'
  | 'number'
  | 'string'
  | 'object' // fixed properties: a nested fieldset (retry policy)
  | 'map' // free keys: a key/value editor (headers, assignments)
  | 'expression-map' // free keys, each a bare expression (the workflow's named queries)
  | 'list' // an array of strings or numbers (switch cases, non_retryable, expected_status)
  | 'json' // anything: a JSON (or template text) editor (input, body, output)

export const typesOf = (schema: JsonSchema): string[] =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type]

export function fieldKind(schema: JsonSchema): FieldKind {
  const widget = schema['x-widget']
  if (widget === 'handler') return (schema.oneOf ?? []).some((b) => typesOf(b).includes('object')) ? 'compensate' : 'handler'
  if (widget === 'expressions') return 'expression-map'
  if (widget === 'expression') return 'expression'
  if (widget === 'template') return 'template'
  if (widget === 'template-version') return 'template-version'
  if (schema.items?.['x-widget'] === 'template') return 'templates'
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum'
  const types = typesOf(schema)
  if (types.length !== 1) return 'json'
  switch (types[0]) {
    case 'boolean':
      return 'boolean'
    case 'integer':
      return 'integer'
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    case 'object':
      if (schema.properties && Object.keys(schema.properties).length > 0) return 'object'
      return 'map'
    case 'array': {
      const item = typesOf(schema.items ?? {})
      return item.length === 1 && ['string', 'integer', 'number'].includes(item[0]) ? 'list' : 'json'
    }
    default:
      return 'json'
  }
}

/** Keys about how a step runs rather than what it does: shown after the step's own fields. */
export const EXECUTION_KEYS = ['wait', 'retry', 'timeout_s', 'heartbeat_s', 'join', 'on_failure']
/** Execution keys only for a worker type (one with a retry policy): elsewhere they are what the step does
 *  (a signal's timeout chooses its `timeout` port; a sub-workflow's wait says whether it waits for its child). */
const WORKER_ONLY = ['wait', 'timeout_s']
const EXECUTION_WORDS: Record<string, string> = { wait: 'waiting', retry: 'retries', timeout_s: 'timeouts', heartbeat_s: 'timeouts', join: 'joins', on_failure: 'failures' }

/** The schema's properties split into the step's own fields (in schema order) and execution ones. */
export function orderedFields(schema: JsonSchema): { main: string[]; execution: string[] } {
  const keys = Object.keys(schema.properties ?? {})
  const worker = keys.includes('retry')
  const execution = EXECUTION_KEYS.filter((k) => keys.includes(k) && (worker || !WORKER_ONLY.includes(k)))
  return { main: keys.filter((k) => !execution.includes(k)), execution }
}

/** The execution section's title, naming what is in it ("Execution: joins, failures"). */
export const executionTitle = (keys: readonly string[]) => `Execution: ${[...new Set(keys.map((k) => EXECUTION_WORDS[k] ?? k.replace(/_/g, ' ')))].join(', ')}`

/** Types that always wait for their work: a map waits for its items (the server rejects `wait: false`). */
const ALWAYS_WAITS = new Set(['map'])

/** Fields not offered for this type: a map's Wait for it (shown only while set, so its error has a place). */
export function hiddenField(kind: string, key: string, config: { [key: string]: Json }): boolean {
  return key === 'wait' && ALWAYS_WAITS.has(kind) && config.wait === undefined
}

export function isRequired(schema: JsonSchema, key: string): boolean {
  return Array.isArray(schema.required) && schema.required.includes(key)
}

/** A readable title for a property: its `title`, else the key in words ("max_attempts" → "Max attempts"). */
export function fieldTitle(key: string, schema: JsonSchema): string {
  if (typeof schema.title === 'string' && schema.title) return schema.title
  const words = key.replace(/_s$/, ' (s)').replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function getAt(value: unknown, path: readonly string[]): unknown {
  let cur = value
  for (const key of path) {
    if (!isPlainObject(cur)) return undefined
    cur = cur[key]
  }
  return cur
}

/**
 * `obj` with `value` at `path` (a copy; untouched branches are shared). `undefined` deletes the
 * key, and parents left empty by a deletion are removed too (an emptied retry policy disappears).
 */
export function setAt<T extends { [key: string]: Json }>(obj: T, path: readonly string[], value: Json | undefined): T {
  if (path.length === 0) throw new Error('setAt needs a path')
  const [key, ...rest] = path
  const out: { [key: string]: Json } = { ...obj }
  if (rest.length === 0) {
    if (value === undefined) delete out[key]
    else out[key] = value
    return out as T
  }
  const child = isPlainObject(obj[key]) ? (obj[key] as { [key: string]: Json }) : {}
  const next = setAt(child, rest, value)
  if (value === undefined && Object.keys(next).length === 0) delete out[key]
  else out[key] = next
  return out as T
}

/** A number input's text as a value: undefined when empty, an error message when not a number. */
export function parseNumber(text: string, integer: boolean): { value?: number; error?: string } {
  const t = text.trim()
  if (t === '') return {}
  const n = Number(t)
  if (!Number.isFinite(n)) return { error: 'enter a number' }
  if (integer && !Number.isInteger(n)) return { error: 'enter a whole number' }
  return { value: n }
}

/** Client-side bounds check (the server is the judge; this only answers sooner). */
export function numberProblem(n: number, schema: JsonSchema): string | null {
  if (schema.minimum !== undefined && n < schema.minimum) return `must be at least ${schema.minimum}`
  if (schema.maximum !== undefined && n > schema.maximum) return `must be at most ${schema.maximum}`
  if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) return `must be more than ${schema.exclusiveMinimum}`
  if (schema.exclusiveMaximum !== undefined && n >= schema.exclusiveMaximum) return `must be less than ${schema.exclusiveMaximum}`
  return null
}

/** One list item's text as a value of the item schema (numbers for integer lists). */
export function parseListItem(text: string, item: JsonSchema | undefined): Json {
  const t = typesOf(item ?? {})[0]
  if ((t === 'integer' || t === 'number') && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text)
  return text
}

/** What one item of a list is called ("recipient"), from its schema's title; "item" otherwise. */
export function listItemNoun(schema: JsonSchema): string {
  const title = schema.items?.title
  return typeof title === 'string' && title.trim() ? title.trim().toLowerCase() : 'item'
}

/** A new item's placeholder: the item schema's examples ("ops@example.com, user:alice or group:ops"). */
export function listPlaceholder(schema: JsonSchema): string {
  const examples = (schema.items?.examples ?? []).filter((e): e is string | number => typeof e === 'string' || typeof e === 'number').map(String)
  if (examples.length === 0) return ''
  if (examples.length === 1) return `e.g. ${examples[0]}`
  return `e.g. ${examples.slice(0, -1).join(', ')} or ${examples[examples.length - 1]}`
}

/** Whether a map value may be something other than a string (then JSON literals are parsed). */
export function mapAllowsNonString(schema: JsonSchema): boolean {
  const extra = schema.additionalProperties
  if (extra === undefined || extra === true) return true
  if (extra === false) return false
  const types = typesOf(extra)
  return types.length === 0 || types.some((t) => t !== 'string')
}

/**
 * A map value's text: JSON literals (numbers, true/false/null, objects, arrays, "quoted") become
 * values when the schema allows them; anything else (`{{ input.x }}`, plain words) stays text.
 */
export function parseMapValue(text: string, allowNonString: boolean): Json {
  if (!allowNonString) return text
  const t = text.trim()
  if (t === '') return text
  if (/^(-?\d|true$|false$|null$|[[{"])/.test(t) && !t.startsWith('{{')) {
    try {
      return JSON.parse(t) as Json
    } catch {
      return text
    }
  }
  return text
}

export const mapValueText = (value: Json): string => (typeof value === 'string' ? value : JSON.stringify(value))

/** A JSON editor's text: parsed value, undefined for empty, or the parse error. */
export function parseJsonText(text: string): { value?: Json; error?: string } {
  if (text.trim() === '') return {}
  try {
    return { value: JSON.parse(text) as Json }
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` }
  }
}

/** Whether a string holds a `{{ }}` template (then the template checker looks at it). */
export const hasTemplate = (text: string) => text.includes('{{')

export interface FieldError {
  node?: string | null
  field?: string | null
  code?: string
  message: string
  nodes?: string[]
}

/**
 * The errors to show next to the field at `path` ("config.retry.max_attempts"): the ones naming
 * exactly that field, or an item of it ("config.cases[1]", "config.cases.1").
 */
export function errorsForField(errors: readonly FieldError[], path: string): FieldError[] {
  return errors.filter((e) => {
    const f = e.field
    if (!f) return false
    return f === path || f.startsWith(`${path}[`) || (f.startsWith(`${path}.`) && /^\d+$/.test(f.slice(path.length + 1).split('.')[0]))
  })
}

/**
 * The paths of every field a schema form renders (to tell which errors no field shows). A map of
 * free keys gives `path.*`: its entries are shown too (a named query's error on its row).
 */
export function renderedPaths(schema: JsonSchema, prefix: string): string[] {
  const out: string[] = []
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}.${key}`
    out.push(path)
    const kind = fieldKind(prop)
    if (kind === 'object') out.push(...renderedPaths(prop, path))
    if (kind === 'compensate') {
      const own = compensateObject(prop)
      out.push(`${path}.handler`, `${path}.retry`, ...(own?.properties?.retry ? renderedPaths(own.properties.retry, `${path}.retry`) : []))
    }
    if (kind === 'expression-map') out.push(`${path}.*`)
  }
  return out
}

/** Whether one of the `shown` paths (from `renderedPaths`) shows an error on `field`. */
export function fieldShown(field: string, shown: ReadonlySet<string>): boolean {
  if (shown.has(field)) return true
  const item = /^(.*?)(\[\d+\]|\.\d+)/.exec(field) // a list's item: its list shows it
  if (item && shown.has(item[1])) return true
  for (let i = field.lastIndexOf('.'); i > 0; i = field.lastIndexOf('.', i - 1)) if (shown.has(`${field.slice(0, i)}.*`)) return true
  return false
}

/** The object branch of a compensate field's oneOf (`{handler, retry}`). */
export function compensateObject(schema: JsonSchema): JsonSchema | undefined {
  return (schema.oneOf ?? []).find((b) => typesOf(b).includes('object'))
}

/**
 * The field an error is about, as precisely as the message allows: JSON Schema reports a missing
 * property on its parent ("config" + "'handler' is a required property"), the form shows it on
 * the property itself ("config.handler").
 */
export function preciseField(e: FieldError): string | null {
  const f = e.field ?? null
  const m = /'([^']+)' is a required property/.exec(e.message)
  if (m && (f === 'config' || f === 'settings' || (f && /^(config|settings)\./.test(f)))) return `${f}.${m[1]}`
  return f
}
