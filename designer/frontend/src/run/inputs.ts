/** The run and test-run forms' input: a starting input, and parsing what was typed (pure). */
import type { Handler, Mock } from '../api/types'
import { isPlainObject, objectOf } from '../graph/json'
import type { Config, Json, JsonSchema } from '../graph/types'
import { exampleOf, localToday, propertyOf } from '../schema/example'

/** Parse the input box: a JSON object, or the reason it is not one. */
export function parseInputObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (text.trim() === '') return { value: {} }
  try {
    const v = JSON.parse(text)
    return isPlainObject(v) ? { value: v } : { error: 'the input must be a JSON object, like {"key": "value"}' }
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` }
  }
}

export interface MockDraft {
  mode: 'real' | 'output' | 'fail'
  output: string
  type: string
  message: string
}

export const NEW_MOCK: MockDraft = { mode: 'real', output: '{}', type: 'MockError', message: 'mocked failure' }

/** Build the `mocks` of a test run (by node id: see `objectOf`) from the form, or say which one is wrong. */
export function buildMocks(drafts: ReadonlyMap<string, MockDraft>): { mocks: Record<string, Mock>; error?: string } {
  const mocks: [string, Mock][] = []
  for (const [id, d] of drafts) {
    if (d.mode === 'output') {
      try {
        mocks.push([id, { output: JSON.parse(d.output || 'null') as Json }])
      } catch (e) {
        return { mocks: objectOf(mocks), error: `the mocked output of ${id} is not valid JSON: ${(e as Error).message}` }
      }
    } else if (d.mode === 'fail') {
      mocks.push([id, { fail: { type: d.type.trim() || 'MockError', message: d.message } }])
    }
  }
  return { mocks: objectOf(mocks) }
}

/** A step as the suggestion reads it: the editor's nodes and graph JSON nodes both fit. */
export interface StepLike {
  id: string
  type: string
  config: Config
}

export interface InputSuggestion {
  input: { [key: string]: Json }
  /** The steps whose handlers' schemas it came from, in graph order. */
  steps: string[]
}

// exactly one reference to the workflow input, or a field of it, by dotted names (input_data is its alias)
const INPUT_REFERENCE = /^\{\{\s*(?:input|input_data)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}$/
const DEEPEST = 8

/** The path into the workflow input that a mapping value is exactly (`{{ input.a.b }}` → a, b), else null. */
export function inputPath(value: Json | undefined): string[] | null {
  const m = typeof value === 'string' ? INPUT_REFERENCE.exec(value) : null
  return m ? m[1].split('.').slice(1) : null
}

/**
 * A workflow input to start from, built from what the task steps read: wherever a step's input
 * maps a field its handler's schema declares to exactly `{{ input.<path> }}`, an example of that
 * field goes at <path>. A step with no input (or `{{ input }}`) gets the workflow input as is, so
 * all its schema's fields go at the top. Where steps disagree the first in graph order wins.
 */
export function suggestInput(steps: readonly StepLike[], handlers: readonly Handler[], today = localToday()): InputSuggestion {
  const schemas = new Map(handlers.flatMap((h) => (h.input_schema ? [[h.name, h.input_schema] as const] : [])))
  let input: { [key: string]: Json } = {}
  const from: string[] = []
  for (const step of steps) {
    const handler = step.type === 'task' ? step.config.handler : undefined
    const schema = typeof handler === 'string' ? schemas.get(handler) : undefined
    if (!schema) continue
    // a task without `input` passes its handler the workflow input unchanged
    const mapping = Object.hasOwn(step.config, 'input') ? step.config.input : '{{ input }}'
    let added = false
    for (const [path, field] of readsFromInput(mapping, schema, 0)) {
      const next = mergeAt(input, path, exampleOf(field, today))
      if (next.changed && isPlainObject(next.value)) {
        input = next.value
        added = true
      }
    }
    if (added) from.push(step.id)
  }
  return { input, steps: from }
}

/** Each place the mapping hands over (part of) the workflow input, with the schema of what receives it. */
function* readsFromInput(mapping: Json, schema: JsonSchema, depth: number): Generator<[string[], JsonSchema]> {
  const path = inputPath(mapping)
  if (path) yield [path, schema]
  else if (depth >= DEEPEST) return
  else if (isPlainObject(mapping)) {
    for (const [key, value] of Object.entries(mapping)) {
      const field = propertyOf(schema, key)
      if (field) yield* readsFromInput(value, field, depth + 1)
    }
  } else if (Array.isArray(mapping) && schema.items) for (const value of mapping) yield* readsFromInput(value, schema.items, depth + 1)
}

type Merged = { value: Json; changed: boolean }

/** `value` put at `path` in `target` without replacing anything already there (objects merge). */
function mergeAt(target: Json | undefined, path: readonly string[], value: Json): Merged {
  if (path.length === 0) return merge(target, value)
  if (target !== undefined && !isPlainObject(target)) return { value: target, changed: false } // a value is already there
  const [key, ...rest] = path
  const own = target ?? {}
  const child = mergeAt(Object.hasOwn(own, key) ? own[key] : undefined, rest, value)
  return child.changed ? { value: withKey(own, key, child.value), changed: true } : { value: own, changed: false }
}

function merge(target: Json | undefined, value: Json): Merged {
  if (target === undefined) return { value, changed: true }
  if (!isPlainObject(target) || !isPlainObject(value)) return { value: target, changed: false }
  let out = target
  let changed = false
  for (const [key, v] of Object.entries(value)) {
    const child = merge(Object.hasOwn(out, key) ? out[key] : undefined, v)
    if (child.changed) {
      out = withKey(out, key, child.value)
      changed = true
    }
  }
  return { value: out, changed }
}

/** A copy with `key` set, in place if it was there, else last (any key: see `objectOf`). */
function withKey(obj: { [key: string]: Json }, key: string, value: Json): { [key: string]: Json } {
  const entries: [string, Json][] = Object.entries(obj)
  const at = entries.findIndex(([k]) => k === key)
  if (at >= 0) entries[at] = [key, value]
  else entries.push([key, value])
  return objectOf(entries)
}

/** What the input box starts with: the template's example input, else one suggested from the graph. */
export function startingInput(example: Json | undefined, steps: readonly StepLike[], handlers: readonly Handler[]): { value: Json; suggestedFrom: string[] } {
  if (isPlainObject(example) && Object.keys(example).length > 0) return { value: example, suggestedFrom: [] }
  const suggestion = suggestInput(steps, handlers)
  return { value: suggestion.input, suggestedFrom: suggestion.steps }
}
