/**
 * The approval node's form (`config.form`: the fields the reviewer fills), edited as a list of
 * field rows: add, retype, rename, reorder, delete, and the choices of a choice field. Plain
 * functions over the config value, so the editor and its tests share them; the server
 * (`workflows/core/steps/approval.py`) is the judge of what is valid.
 */
import type { Json } from '../graph/types'
import { isPlainObject, objectOf } from '../graph/json'

export const FIELD_TYPES = ['text', 'textarea', 'number', 'boolean', 'choice', 'date'] as const
export type FieldType = (typeof FIELD_TYPES)[number]

export const TYPE_LABELS: Record<FieldType, string> = {
  text: 'Text (one line)',
  textarea: 'Text (paragraph)',
  number: 'Number',
  boolean: 'Yes / no',
  choice: 'Choice',
  date: 'Date',
}

/** The server's rule for a field's name (approval.FIELD_NAME). */
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,49}$/
export const MAX_FIELDS = 30
export const MAX_CHOICES = 100

export interface FormField {
  name: string
  type: string
  label?: string
  help?: string
  required?: boolean
  min?: number
  max?: number
  choices?: string[]
  /** Prefilled when the task opens: a value, or a {{ template }} rendered from the instance. */
  default?: string | number | boolean
  /** Keys the editor does not know are kept as they are (the server says whether they are allowed). */
  [key: string]: Json | undefined
}

/** The fields of a config's `form` value (anything that is not a list of objects reads as none). */
export function fieldsOf(value: Json | undefined): FormField[] {
  if (!Array.isArray(value)) return []
  return value.filter(isPlainObject).map((f) => ({ ...f, name: typeof f.name === 'string' ? f.name : '', type: typeof f.type === 'string' ? f.type : 'text' }) as FormField)
}

/** The config value for these fields: undefined when there are none (no empty `form: []`). */
export function formValue(fields: readonly FormField[]): Json | undefined {
  if (fields.length === 0) return undefined
  return fields.map((f) => {
    const out: { [key: string]: Json } = {}
    for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v
    return out
  })
}

/** Whether min and max mean something for this type: a number's value, a text's length. */
export const hasBounds = (type: string) => type === 'number' || type === 'text' || type === 'textarea'

/** What min and max bound, in words, for the labels of their inputs. */
export const boundsNoun = (type: string) => (type === 'number' ? 'value' : 'length')

/** A name no other field has: `field_1`, `field_2`... */
export function freshName(fields: readonly FormField[], base = 'field'): string {
  const taken = new Set(fields.map((f) => f.name))
  let n = fields.length + 1
  while (taken.has(`${base}_${n}`)) n++
  return `${base}_${n}`
}

export function addField(fields: readonly FormField[], type: FieldType = 'text'): FormField[] {
  const field: FormField = { name: freshName(fields), type }
  if (type === 'choice') field.choices = []
  return [...fields, field]
}

/** The field at `from` moved by `by` places (-1 up, +1 down); unchanged at either end. */
export function moveField<T>(items: readonly T[], from: number, by: number): T[] {
  const to = from + by
  if (from < 0 || from >= items.length || to < 0 || to >= items.length) return [...items]
  const next = [...items]
  const [item] = next.splice(from, 1)
  next.splice(to, 0, item)
  return next
}

export const removeAt = <T>(items: readonly T[], index: number): T[] => items.filter((_, i) => i !== index)

/**
 * The field with another type: a choice field starts with no choices (the server asks for them);
 * leaving choice drops them, and a type without bounds drops min and max, so the field never
 * keeps settings its new type refuses or ignores.
 */
export function retype(field: FormField, type: string): FormField {
  const next: FormField = { ...field, type }
  if (type === 'choice') next.choices = Array.isArray(field.choices) ? field.choices : []
  else delete next.choices
  if (!hasBounds(type)) {
    delete next.min
    delete next.max
  }
  // the default is read again as the new type would read its text ("12" becomes a number)
  const preset = parseDefault(defaultText(field.default), type)
  if (preset === undefined) delete next.default
  else next.default = preset
  return next
}

// --- a field's default: typed as text, written as the field's type reads it --------------------------

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** The text of a default in its input ("" when there is none). */
export function defaultText(value: Json | undefined): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)
}

/**
 * The `default` a field's typed text means: nothing for blank text; for a number field a number
 * when the text is a plain number; for a yes/no field true or false for those words; else the text
 * itself (a {{ template }} stays a string, rendered when the task opens).
 */
export function parseDefault(text: string, type: string): string | number | boolean | undefined {
  const t = text.trim()
  if (t === '') return undefined
  if (type === 'number' && PLAIN_NUMBER.test(t)) return Number(t)
  if (type === 'boolean' && /^(true|false)$/i.test(t)) return t.toLowerCase() === 'true'
  return type === 'text' || type === 'textarea' ? text : t
}

/** The field with this default (undefined: none; false stays false, unlike the checkboxes' keys). */
export function withDefault(field: FormField, value: FormField['default']): FormField {
  const next: FormField = { ...field }
  if (value === undefined) delete next.default
  else next.default = value
  return next
}

/** Whether a default is filled in from the instance when the task opens. */
export const isTemplateDefault = (value: Json | undefined) => typeof value === 'string' && /\{\{.*?\}\}/s.test(value)

/** What is wrong with a field's default for its type, as typed (the server does not check it). */
export function defaultProblem(field: FormField): string | null {
  const value = field.default
  if (value === undefined || isTemplateDefault(value)) return null
  switch (field.type) {
    case 'number':
      if (typeof value !== 'number') return 'a number or a {{ expression }}'
      if (typeof field.min === 'number' && value < field.min) return `below the minimum, ${field.min}`
      if (typeof field.max === 'number' && value > field.max) return `above the maximum, ${field.max}`
      return null
    case 'boolean':
      return typeof value === 'boolean' ? null : 'true, false or a {{ expression }}'
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) ? null : 'a date as YYYY-MM-DD or a {{ expression }}'
    case 'choice': {
      const choices = Array.isArray(field.choices) ? field.choices : []
      return choices.includes(String(value)) ? null : `one of the choices or a {{ expression }}`
    }
    default:
      return null
  }
}

/** A label as a field name: "Cost centre (EU)" → "cost_centre_eu"; "" when nothing is left. */
export function nameFromLabel(label: string): string {
  const words = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  // a name starts with a letter: "2nd reviewer" becomes f_2nd_reviewer
  return (/^\d/.test(words) ? `f_${words}` : words).slice(0, 50).replace(/_+$/, '')
}

/**
 * The field with a new label. While its name is still one the editor made up (`field_3`) or the
 * one its old label gave, the name follows the label; a name the analyst typed is kept.
 */
export function relabel(field: FormField, label: string, fields: readonly FormField[]): FormField {
  const next: FormField = { ...field }
  if (label === '') delete next.label
  else next.label = label
  const derived = /^field_\d+$/.test(field.name) || field.name === nameFromLabel(field.label ?? '')
  const wanted = nameFromLabel(label)
  if (derived && wanted && !fields.some((f) => f !== field && f.name === wanted)) next.name = wanted
  return next
}

/** What is wrong with each field's name as it is typed (the server says it again when it checks). */
export function nameProblems(fields: readonly FormField[]): (string | null)[] {
  const count = new Map<string, number>()
  fields.forEach((f) => count.set(f.name, (count.get(f.name) ?? 0) + 1))
  return fields.map((f) => {
    if (f.name === '') return 'give the field a name'
    if (!FIELD_NAME.test(f.name)) return 'lower-case letters, digits and _ only, starting with a letter'
    if ((count.get(f.name) ?? 0) > 1) return `two fields are named ${f.name}`
    return null
  })
}

/** The label the reviewer sees: the field's own, else its name in words (approvals/forms.py). */
export function shownLabel(field: FormField): string {
  if (field.label) return field.label
  const words = field.name.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** "2–10 characters", "at least 0", "": the bounds as the reviewer's form applies them. */
export function boundsText(field: FormField): string {
  if (!hasBounds(field.type)) return ''
  const unit = field.type === 'number' ? '' : ' characters'
  const { min, max } = field
  if (typeof min === 'number' && typeof max === 'number') return `${min}–${max}${unit}`
  if (typeof min === 'number') return `at least ${min}${unit}`
  if (typeof max === 'number') return `at most ${max}${unit}`
  return ''
}

// --- the server's errors, on the row and the input they are about ----------------------------------

interface PathError {
  field?: string | null
  message: string
}

/** One row's errors by the key they are about: "name", "type", "min", "choices", "choices.2", "" (the row). */
export type RowErrors = Map<string, string[]>

/** JSON Schema's generic wording, dropped where the step's check says the same in words. */
const GENERIC = [/ is not one of \[/, / does not match '\^/]

/**
 * The errors under `base` ("config.form") split by field row: `config.form.1.type` goes to row 1's
 * type, `config.form.0.choices.2` to its third choice. Messages lose their path prefix; JSON
 * Schema's wording is left out where the step's own check said it in words.
 */
export function errorsByRow(errors: readonly PathError[], base: string): { rows: Map<number, RowErrors>; whole: string[] } {
  const rows = new Map<number, RowErrors>()
  const whole: string[] = []
  const prefix = `${base}.`
  for (const e of errors) {
    const f = e.field ?? ''
    // the path prefix may be the parent's ("config.form.2: 'name' is a required property")
    const said = /^([\w.]+): /.exec(e.message)
    const message = said && (f === said[1] || f.startsWith(`${said[1]}.`)) ? e.message.slice(said[0].length) : e.message
    if (f === base) {
      whole.push(message)
      continue
    }
    if (!f.startsWith(prefix)) continue
    const [index, ...rest] = f.slice(prefix.length).split('.')
    if (!/^\d+$/.test(index)) continue
    const row = rows.get(Number(index)) ?? rows.set(Number(index), new Map()).get(Number(index))!
    const key = rest.join('.')
    row.set(key, [...(row.get(key) ?? []), message])
  }
  for (const row of rows.values()) {
    for (const [key, messages] of row) {
      const worded = messages.filter((m) => !GENERIC.some((re) => re.test(m)))
      if (worded.length && worded.length < messages.length) row.set(key, worded)
    }
  }
  return { rows, whole }
}

/** Every message of a row, for its summary line (a folded row still says it has problems). */
export const rowMessageCount = (row: RowErrors | undefined) => (row ? [...row.values()].reduce((n, m) => n + m.length, 0) : 0)

/** The messages of a row's `key` and of its items (`choices` gets `choices.0` too). */
export function messagesOf(row: RowErrors | undefined, key: string, items = false): string[] {
  if (!row) return []
  const out = [...(row.get(key) ?? [])]
  if (items) for (const [k, m] of row) if (k.startsWith(`${key}.`) && /^\d+$/.test(k.slice(key.length + 1))) out.push(...m)
  return out
}

// --- the context shown to the reviewer: label → {{ expression }} rows --------------------------------

export type ContextRow = [label: string, expression: string]

export function contextRows(value: Json | undefined): ContextRow[] {
  return isPlainObject(value) ? Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]) : []
}

/** The config value of the rows: every labelled row (undefined when none). */
export function contextValue(rows: readonly ContextRow[]): { [key: string]: Json } | undefined {
  const labelled = rows.filter(([label]) => label !== '')
  return labelled.length ? objectOf(labelled) : undefined
}

export function contextProblems(rows: readonly ContextRow[]): (string | null)[] {
  const count = new Map<string, number>()
  rows.forEach(([label]) => count.set(label, (count.get(label) ?? 0) + 1))
  return rows.map(([label, expression]) => {
    if (label === '') return expression.trim() ? 'give the line a label' : null
    if ((count.get(label) ?? 0) > 1) return `two lines are labelled ${label}`
    return null
  })
}

// --- escalation -------------------------------------------------------------------------------------

export const ESCALATIONS = ['reassign', 'notify', 'decide'] as const
export const OUTCOMES = ['approved', 'rejected', 'changes'] as const

/** Which escalation keys each action uses (approval.escalate: a reassign also notifies `to`). */
const ESCALATION_KEYS: Record<string, string[]> = { reassign: ['group', 'to'], notify: ['to'], decide: ['outcome'] }

export const escalationUses = (action: string, key: string) => (ESCALATION_KEYS[action] ?? []).includes(key)

/** The escalation with another action, keeping only the keys that action uses. */
export function withAction(escalation: Json | undefined, action: string): { [key: string]: Json } | undefined {
  if (action === '') return undefined
  const old = isPlainObject(escalation) ? escalation : {}
  const next: { [key: string]: Json } = { action }
  for (const key of ESCALATION_KEYS[action] ?? []) if (old[key] !== undefined) next[key] = old[key]
  return next
}
