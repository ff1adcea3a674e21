/**
 * Schedules of the open template (`/api/v1/schedules/`): what the panel shows and sends. The server
 * is the judge (cron, zone, version, input); these helpers only shape the form and place the
 * server's errors on its fields.
 */
import type { ApiFieldError } from '../api/types'

export type Overlap = 'skip' | 'allow' | 'cancel_previous' | 'buffer_one'

export interface ScheduleRun {
  id: string
  status: string
  business_key: string
  created_at: string
  finished_at: string | null
}

export interface Schedule {
  id: number
  name: string
  template: string
  version: number | null
  cron: string
  timezone: string
  input: Record<string, unknown>
  priority: number
  overlap: Overlap
  catch_up: boolean
  enabled: boolean
  next_fire_at: string | null
  last_fired_at: string | null
  buffered_fire_at: string | null
  next_fires: string[]
  last_runs: ScheduleRun[]
  problem: string | null
}

/** The form as typed: text everywhere, parsed on submit. */
export interface ScheduleForm {
  name: string
  cron: string
  timezone: string
  version: string
  input: string
  priority: string
  overlap: Overlap
  catch_up: boolean
  enabled: boolean
}

export const FORM_FIELDS = ['name', 'cron', 'timezone', 'version', 'input', 'priority', 'overlap', 'catch_up', 'enabled'] as const

export const OVERLAPS: [Overlap, string][] = [
  ['skip', 'Skip this fire'],
  ['allow', 'Start anyway (runs overlap)'],
  ['cancel_previous', 'Cancel it, start the new run'],
  ['buffer_one', 'Start once it ends (keep one fire)'],
]

/** A few common expressions to start from (the server accepts any 5-field cron, or 6 with seconds first). */
export const CRON_EXAMPLES: [string, string][] = [
  ['0 2 * * *', 'every day at 02:00'],
  ['*/15 * * * *', 'every 15 minutes'],
  ['0 9 * * 1-5', 'weekdays at 09:00'],
  ['0 6 1 * *', 'the 1st of each month at 06:00'],
]

/** The browser's own zone, the natural default for a person scheduling from it. */
export function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

export function emptyForm(template: string, taken: readonly string[], zone = localZone()): ScheduleForm {
  const base = `${template}-schedule`
  let name = base
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`
  return { name, cron: '0 2 * * *', timezone: zone, version: '', input: '{}', priority: '50', overlap: 'skip', catch_up: false, enabled: true }
}

export function formOf(s: Schedule): ScheduleForm {
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    version: s.version === null ? '' : String(s.version),
    input: JSON.stringify(s.input, null, 2),
    priority: String(s.priority),
    overlap: s.overlap,
    catch_up: s.catch_up,
    enabled: s.enabled,
  }
}

export type FieldErrors = Partial<Record<string, string[]>>

/**
 * The request body for a create (every field) or an edit (only what changed), or the errors the
 * browser can already see (input that is not a JSON object, a priority that is not a number).
 */
export function toBody(form: ScheduleForm, template: string, before?: ScheduleForm): { body: Record<string, unknown> | null; errors: FieldErrors } {
  const errors: FieldErrors = {}
  let input: unknown = {}
  try {
    input = form.input.trim() ? JSON.parse(form.input) : {}
    if (input === null || typeof input !== 'object' || Array.isArray(input)) errors.input = ['must be a JSON object']
  } catch (e) {
    errors.input = [`not valid JSON: ${(e as Error).message}`]
  }
  const priority = Number(form.priority)
  if (form.priority.trim() === '' || !Number.isInteger(priority)) errors.priority = ['must be a whole number from 0 to 100']
  const version = form.version.trim() === '' ? null : Number(form.version)
  if (version !== null && !Number.isInteger(version)) errors.version = ['a version number, or empty for the latest published one']
  if (Object.keys(errors).length) return { body: null, errors }
  const full: Record<string, unknown> = {
    name: form.name.trim(),
    cron: form.cron.trim(),
    timezone: form.timezone.trim(),
    version,
    input,
    priority,
    overlap: form.overlap,
    catch_up: form.catch_up,
    enabled: form.enabled,
  }
  if (!before) return { body: { ...full, template }, errors }
  const old = toBody(before, template).body ?? {}
  const changed = Object.fromEntries(Object.entries(full).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(old[k])))
  return { body: changed, errors }
}

/** The server's errors by form field; those it cannot place (template, unknown fields) under ''. */
export function errorsByField(errors: readonly ApiFieldError[], fallback: string): FieldErrors {
  const out: FieldErrors = {}
  for (const e of errors) {
    const root = (e.field ?? '').split('.')[0]
    const key = (FORM_FIELDS as readonly string[]).includes(root) ? root : ''
    ;(out[key] ??= []).push(key || !e.field ? e.message : `${e.field}: ${e.message}`)
  }
  if (!errors.length) out[''] = [fallback]
  return out
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/**
 * A fire time as the schedule's zone reads it — "Tue 2026-12-01 02:00 +01:00" — from the server's
 * ISO string with its offset, without converting to the viewer's zone (a 02:00 job reads 02:00).
 */
export function wallTime(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(iso)
  if (!m) return iso
  const [, y, mo, d, h, mi, s, off] = m
  const day = DAYS[new Date(Date.UTC(+y, +mo - 1, +d)).getUTCDay()]
  const seconds = s && s !== '00' ? `:${s}` : ''
  return `${day} ${y}-${mo}-${d} ${h}:${mi}${seconds} ${off === 'Z' ? '+00:00' : off}`
}
