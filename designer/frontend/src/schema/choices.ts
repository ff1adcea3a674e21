/**
 * A schema's `oneOf` of single required keys ("a handler or a workflow", "a count or a condition")
 * as a choice the inspector shows as a switch, with the fields each option brings along.
 */
import type { Config, JsonSchema } from '../graph/types'
import { fieldTitle } from './form'

export interface ChoiceOption {
  key: string
  label: string
  /** The fields shown while this option is chosen: its key first. */
  fields: string[]
}

export interface Choice {
  title: string
  options: ChoiceOption[]
}

/** Words for the choices the built-in types make; any other oneOf gets "One of" and the field titles. */
const WORDS: Record<string, { title: string; labels: Record<string, string> }> = {
  'handler|workflow': { title: 'Per item', labels: { handler: 'Handler', workflow: 'Workflow' } },
  'count|while': { title: 'Repeat', labels: { count: 'N times', while: 'While' } },
  'for_s|until': { title: 'Wait', labels: { for_s: 'For a time', until: 'Until a moment' } },
}

/** Fields that only mean something next to a child workflow's name. */
const CHILD_FIELDS = ['allowed_workflows', 'version']
/** Fields that only mean something next to a handler (a map of workflows cannot compensate its items). */
const HANDLER_FIELDS = ['compensate']

export function choicesOf(schema: JsonSchema): Choice[] {
  const props = schema.properties ?? {}
  const keys = (schema.oneOf ?? []).map((branch) => (branch.required?.length === 1 && Object.keys(branch).length === 1 ? branch.required[0] : null))
  if (keys.length < 2 || keys.some((k) => k === null || !(k in props))) return []
  const words = WORDS[keys.join('|')]
  const options = (keys as string[]).map((key) => ({
    key,
    label: words?.labels[key] ?? fieldTitle(key, props[key]),
    fields: [key, ...companions(props[key]).filter((f) => f in props)],
  }))
  return [{ title: words?.title ?? 'One of', options }]
}

function companions(schema: JsonSchema): string[] {
  if (schema['x-widget'] === 'template') return CHILD_FIELDS
  if (schema['x-widget'] === 'handler' && !schema.oneOf) return HANDLER_FIELDS
  return []
}

/** The option the config has chosen (the first whose key it sets), or null while it sets none. */
export function chosenOption(choice: Choice, config: Config): ChoiceOption | null {
  return choice.options.find((o) => config[o.key] !== undefined) ?? null
}

/**
 * The config changes that switch to `to`: the other options' own fields are cleared (the server
 * takes one, not both), and `to`'s fields get back what `stash` kept of them. `stash` is updated
 * with what is cleared, so switching back restores it.
 */
export function switchChanges(choice: Choice, to: string, config: Config, stash: Map<string, Config[string]>): [string[], Config[string] | undefined][] {
  const target = choice.options.find((o) => o.key === to)
  if (!target) return []
  const changes: [string[], Config[string] | undefined][] = []
  for (const option of choice.options) {
    if (option === target) continue
    for (const field of option.fields) {
      if (target.fields.includes(field) || config[field] === undefined) continue
      stash.set(field, config[field])
      changes.push([[field], undefined])
    }
  }
  for (const field of target.fields) {
    if (config[field] === undefined && stash.has(field)) {
      changes.push([[field], stash.get(field)])
      stash.delete(field)
    }
  }
  return changes
}
