/**
 * The instance page's open approval tasks (GET /instances/<id>/?tasks=open, designer/views.py):
 * who holds each and how its due time stands, in words.
 */
import { formatSeconds } from '../canvas/look'

export interface OpenTask {
  id: number
  title: string
  node: string
  claimed_by: string | null
  assignees: string[]
  groups: string[]
  /** When it was claimed, else when it opened. */
  since: string
  due_at: string | null
  overdue: boolean
  quorum: number
  url: string
}

/** Who holds the task: its claimer, else the people and groups it is offered to. */
export function holders(task: OpenTask): { claimed: boolean; text: string } {
  if (task.claimed_by) return { claimed: true, text: task.claimed_by }
  const who = [...task.assignees, ...task.groups.map((g) => `group ${g}`)]
  return { claimed: false, text: who.length ? who.join(', ') : 'nobody (its assignees are unknown)' }
}

/** "due in 2 h", "overdue by 5 min", "" without a due time; `now` in milliseconds. */
export function dueText(task: OpenTask, now: number): string {
  if (!task.due_at) return ''
  const due = Date.parse(task.due_at)
  if (Number.isNaN(due)) return ''
  const seconds = Math.round((due - now) / 1000)
  if (seconds < 0) return `overdue by ${formatSeconds(-seconds)}`
  if (task.overdue) return 'overdue' // the server's clock is ahead of this one
  return `due in ${formatSeconds(seconds)}`
}

/** "3 min": how long it has been held (or waiting) since `since`. */
export function heldFor(task: OpenTask, now: number): string {
  const since = Date.parse(task.since)
  if (Number.isNaN(since)) return ''
  return formatSeconds(Math.max(0, Math.round((now - since) / 1000)))
}
