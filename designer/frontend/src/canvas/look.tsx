/** How node types look: a colour per category and an icon per type (unknown types get a plain one). */
import { memo } from 'react'
import type { Config } from '../graph/types'
import { undoTag } from '../schema/compensate'
import { hasTemplate } from '../schema/form'

export const CATEGORY_COLOUR: Record<string, string> = {
  work: '#2f6fed',
  control: '#7c4dde',
  flow: '#0e9384',
}
export const categoryColour = (category: string | undefined) => CATEGORY_COLOUR[category ?? ''] ?? '#64748b'

export const CATEGORY_TITLE: Record<string, string> = { work: 'Work', control: 'Control', flow: 'Flow' }
export const CATEGORY_ORDER = ['work', 'control', 'flow']

const ICONS: Record<string, React.ReactNode> = {
  task: (
    <>
      <circle cx="12" cy="12" r="3" />
      <path d="M12 2v3M12 19v3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M2 12h3M19 12h3M4.9 19.1L7 17M17 7l2.1-2.1" />
    </>
  ),
  http: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z" />
    </>
  ),
  transform: <path d="M8 3c-2 0-3 1-3 3v3c0 1.2-.8 2.3-2 3 1.2.7 2 1.8 2 3v3c0 2 1 3 3 3M16 3c2 0 3 1 3 3v3c0 1.2.8 2.3 2 3-1.2.7-2 1.8-2 3v3c0 2-1 3-3 3" />,
  condition: <path d="M12 2.5l9.5 9.5-9.5 9.5L2.5 12z" />,
  switch: <path d="M3 12h6l5-7h7M9 12l5 7h7M18 2l3 3-3 3M18 16l3 3-3 3" />,
  wait: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7v5l3.5 2" />
    </>
  ),
  end: (
    <>
      <circle cx="12" cy="12" r="9" />
      <rect x="8.5" y="8.5" width="7" height="7" rx="1" />
    </>
  ),
  map: <path d="M12 3l9 5-9 5-9-5zM3 13l9 5 9-5M3 17.5l9 5 9-5" />,
  loop: <path d="M17 2l3 3-3 3M4 11V9a4 4 0 0 1 4-4h12M7 22l-3-3 3-3M20 13v2a4 4 0 0 1-4 4H4" />,
  subworkflow: (
    <>
      <rect x="3" y="3" width="18" height="18" rx="3" />
      <rect x="8" y="8" width="8" height="8" rx="1.5" />
    </>
  ),
  approval: (
    <>
      <circle cx="9" cy="7" r="4" />
      <path d="M2 21v-1a7 7 0 0 1 11-5.7M15 18l2.5 2.5L22 16" />
    </>
  ),
  signal: <path d="M13 2L4 14h7l-1 8 9-12h-7z" />,
  notify: (
    <>
      <rect x="3" y="5" width="18" height="14" rx="2" />
      <path d="M3 7l9 6 9-6" />
    </>
  ),
}

export const TypeIcon = memo(function TypeIcon({ type, size = 16 }: { type: string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      {(Object.hasOwn(ICONS, type) && ICONS[type]) || <circle cx="12" cy="12" r="7" />}
    </svg>
  )
})

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v))

/** The child workflow a node starts: its name, the names an expression may choose, or the expression. */
function childWorkflow(config: Config): string {
  const name = config.workflow
  if (typeof name !== 'string') return ''
  if (!hasTemplate(name)) return name
  const allowed = Array.isArray(config.allowed_workflows) ? config.allowed_workflows.filter((n) => typeof n === 'string') : []
  return allowed.length ? `one of ${allowed.join(', ')}` : name
}

/** Types whose summary is a phrase ("for each in … · 10 at a time"): drawn on a line of its own. */
export const PHRASE_KINDS: ReadonlySet<string> = new Set(['map', 'loop', 'subworkflow', 'signal', 'approval'])

/** A number of seconds as people say it: "45 s", "5 min", "1 h 30 min", "2 d". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return `${seconds} s`
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`
  const s = Math.round(seconds)
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']]
  const i = units.findIndex(([size]) => s >= size)
  const [big, bigName] = units[i]
  const [small, smallName] = units[i + 1]
  const whole = Math.floor(s / big)
  const rest = Math.floor((s % big) / small)
  return rest ? `${whole} ${bigName} ${rest} ${smallName}` : `${whole} ${bigName}`
}

const NBSP = '\u00a0'

/** "waits for 'approve' · 1 h timeout": what a signal node waits for, and for how long. */
function signalSummary(config: Config): string {
  if (typeof config.name !== 'string' || !config.name) return ''
  // no break inside "1 h 30 min timeout": the phrase wraps between its parts, not its numbers and units
  const timeout = typeof config.timeout_s === 'number' && config.timeout_s > 0 ? ` · ${`${formatSeconds(config.timeout_s)} timeout`.replace(/ /g, NBSP)}` : ''
  return `waits for '${config.name}'${timeout}`
}

const texts = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [])

/** "by ann, group managers +1 · 2 must approve · 3 fields · due in 2 d": who decides an approval, on what, by when. */
function approvalSummary(config: Config): string {
  const who = [...texts(config.assignees), ...texts(config.groups).map((g) => `group ${g}`)]
  const by = who.length ? `by ${who.slice(0, 2).join(', ')}${who.length > 2 ? ` +${who.length - 2}` : ''}` : ''
  const quorum = typeof config.quorum === 'number' && config.quorum > 1 ? `${config.quorum} must approve` : ''
  const fields = Array.isArray(config.form) && config.form.length ? `${config.form.length} field${config.form.length === 1 ? '' : 's'}` : ''
  const due = typeof config.due_s === 'number' && config.due_s > 0 ? `due in ${formatSeconds(config.due_s)}`.replace(/ /g, NBSP) : ''
  return [by, quorum, fields, due].filter(Boolean).join(' · ')
}

export interface NodeTag {
  key: 'undo' | 'detached'
  text: string
  title: string
}

/** Small tags under a node's title: what undoes it (saga), and that nothing waits for it. */
export function nodeTags(config: Config): NodeTag[] {
  const tags: NodeTag[] = []
  const undo = undoTag(config.compensate)
  if (undo) {
    const own = typeof config.compensate === 'object' && config.compensate !== null && !Array.isArray(config.compensate) && config.compensate.retry !== undefined
    tags.push({ key: 'undo', text: undo, title: `Undone by ${undo.slice(6)} when the workflow fails and undoes its completed steps${own ? ' (with its own retry policy)' : ''}` })
  }
  if (config.wait === false) tags.push({ key: 'detached', text: 'fire and forget', title: 'The next steps start at once; this one still runs, retries and is recorded' })
  return tags
}

/** One line saying what the node does, from its config. */
export function nodeSummary(kind: string, config: Config): string {
  if (kind === 'map') {
    const over = typeof config.items === 'string' ? `for each in ${config.items}` : 'for each item'
    return `${over} · ${str(config.concurrency ?? 10)} at a time`
  }
  if (kind === 'loop') {
    const child = childWorkflow(config)
    const times = config.count !== undefined ? `×${str(config.count)}` : config.while !== undefined ? `while ${str(config.while)}` : ''
    return [times, child && `runs ${child}`].filter(Boolean).join(' · ')
  }
  if (kind === 'subworkflow') {
    const child = childWorkflow(config)
    if (!child) return ''
    return config.wait === false ? `starts ${child}, no wait` : `runs ${child}`
  }
  if (kind === 'notify') return notifySummary(config)
  if (kind === 'signal') return signalSummary(config)
  if (kind === 'approval') return approvalSummary(config)
  if (typeof config.handler === 'string') return config.handler
  if (typeof config.url === 'string') return `${str(config.method ?? 'GET')} ${config.url}`
  if (typeof config.expression === 'string') return config.expression
  if (kind === 'wait') {
    if (config.for_s !== undefined) return `for ${str(config.for_s)} s`
    if (config.until !== undefined) return `until ${str(config.until)}`
  }
  if (config.assignments && typeof config.assignments === 'object' && !Array.isArray(config.assignments)) {
    return `set ${Object.keys(config.assignments).join(', ')}`
  }
  if (kind === 'end') return config.fail !== undefined ? `fail: ${str(config.fail)}` : config.output !== undefined ? 'finish with output' : 'finish'
  for (const key of ['workflow', 'title', 'name', 'items', 'to']) if (config[key] !== undefined) return `${key}: ${str(config[key])}`
  return ''
}

/** "to ops@example.com, group:reviewers +2 more": whom a notify node writes to. */
function notifySummary(config: Config): string {
  const to = Array.isArray(config.to) ? config.to.filter((r): r is string => typeof r === 'string' && r.trim() !== '') : []
  if (to.length === 0) return ''
  const shown = to.slice(0, 2).join(', ')
  return to.length > 2 ? `to ${shown} +${to.length - 2} more` : `to ${shown}`
}

/** A port's colour class: success-ish, failure-ish, neutral. */
export function portTone(port: string): string {
  if (port === 'true' || port === 'approved') return 'yes'
  if (port === 'false' || port === 'rejected' || port === 'failure') return 'no'
  if (port === 'timeout' || port === 'changes') return 'warn'
  if (port === 'default') return 'muted'
  return ''
}

export const STATUS_LABEL: Record<string, string> = {
  completed: 'Completed',
  failed: 'Failed',
  skipped: 'Skipped',
  running: 'Running',
  scheduled: 'Scheduled',
  waiting: 'Waiting',
  cancelled: 'Cancelled',
  timed_out: 'Timed out',
  compensated: 'Compensated',
  pending: 'Not started',
  not_run: 'Not reached',
  paused: 'Paused',
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const m = Math.floor(ms / 60_000)
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`
}
