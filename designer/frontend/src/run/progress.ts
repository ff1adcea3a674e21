/**
 * How a node that runs per item stands: a map's items ("412 done · 3 failed · 10 running of
 * 1,000"), a loop's iterations ("iteration 3 of 5"). Read from the instance detail's
 * `step_counts`, which count every item whatever the detail inlines (a 10,000-item map's detail
 * lists 500 of its attempts at most), and from the node's own step (item ""), whose output says
 * how it ended.
 */
import type { StepCount, StepRun } from '../api/types'
import type { Config } from '../graph/types'
import { latestStep, type RunView } from './status'

/** The node types whose steps are items (a map's items, a loop's iterations) besides their own step. */
export const PER_ITEM = new Set(['map', 'loop'])

const numbers = new Intl.NumberFormat('en-US')
/** 1,000 and 10,000 the same way in every locale (the server's messages write them so). */
export const formatCount = (n: number) => numbers.format(n)

/** Item statuses in the groups the page names; `pending` items await their turn (concurrency). */
export const ITEM_GROUPS = {
  done: ['completed', 'compensated'],
  failed: ['failed', 'timed_out'],
  running: ['scheduled', 'running', 'waiting'],
  pending: ['pending'],
  cancelled: ['cancelled', 'skipped'],
} as const satisfies Record<string, readonly string[]>
export type ItemGroup = keyof typeof ITEM_GROUPS

export type Tally = Record<ItemGroup, number> & { total: number }

/** `by_status` in the page's groups; a status the page does not know counts in the total only. */
export function tally(byStatus: Readonly<Record<string, number>>): Tally {
  const out: Tally = { done: 0, failed: 0, running: 0, pending: 0, cancelled: 0, total: 0 }
  for (const [status, n] of Object.entries(byStatus)) {
    out.total += n
    for (const group of Object.keys(ITEM_GROUPS) as ItemGroup[]) if ((ITEM_GROUPS[group] as readonly string[]).includes(status)) out[group] += n
  }
  return out
}

export interface Progress {
  kind: 'map' | 'loop'
  /** Read in order, wrapped between parts: ["412 done", "3 failed", "10 running"]. */
  parts: string[]
  /** What they are out of: "of 1,000", "of 5", "max 100"; "" when nothing bounds them. */
  of: string
  /** The bar's segments and its whole (total 0: no bar). */
  done: number
  failed: number
  running: number
  total: number
}

export const progressText = (p: Pick<Progress, 'parts' | 'of'>) => [p.parts.join(' · '), p.of].filter(Boolean).join(' ')

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null)
const outputNumber = (step: StepRun | undefined, key: string): number | null => {
  const out = step?.output
  const value = out && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>)[key] : undefined
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null
}

/**
 * A map's or a loop's progress; null for other nodes and before the node is reached.
 * `own`: the node's own step (item ""), `hasItems`: whether any of its item steps exist (until
 * then `count` counts its own step, not items).
 */
export function nodeProgress(kind: string, config: Config, count: StepCount | undefined, own: StepRun | undefined, hasItems: boolean): Progress | null {
  if (!PER_ITEM.has(kind) || (!own && !hasItems)) return null
  const t = hasItems && count ? tally(count.by_status) : tally({})
  if (kind === 'loop') return loopProgress(config, t, own)
  const total = Math.max(t.total, outputNumber(own, 'total') ?? 0)
  const base = { kind: 'map' as const, done: t.done, failed: t.failed, running: t.running, total }
  if (!total) return { ...base, parts: [own && own.status === 'completed' ? 'no items' : 'starting…'], of: '' }
  if (t.done === total) return { ...base, parts: [`all ${formatCount(total)} done`], of: '' }
  const parts = [`${formatCount(t.done)} done`]
  if (t.failed) parts.push(`${formatCount(t.failed)} failed`)
  if (t.running) parts.push(`${formatCount(t.running)} running`)
  if (t.cancelled) parts.push(`${formatCount(t.cancelled)} cancelled`)
  return { ...base, parts, of: `of ${formatCount(total)}` }
}

/** The node's progress in a run, from what the run view holds (its own step and whether items exist). */
export function runProgress(run: RunView | null, id: string, kind: string, config: Config): Progress | null {
  if (!run || !PER_ITEM.has(kind)) return null
  const rows = run.steps.get(id) ?? []
  const own = latestStep(rows.filter((r) => !r.item_key))
  return nodeProgress(kind, config, run.counts.get(id), own, rows.some((r) => !!r.item_key))
}

/** "iteration 3 of 5" (a count), "iteration 3 · max 100" (a condition) while it runs; "5 iterations" once it ended. */
function loopProgress(config: Config, t: Tally, own: StepRun | undefined): Progress {
  const count = positive(config.count)
  const max = positive(config.max_iterations)
  const ended = !!own && ['completed', 'failed', 'cancelled', 'timed_out', 'skipped'].includes(own.status)
  const iterations = Math.max(t.total, ended ? (outputNumber(own, 'iterations') ?? 0) : 0)
  const bar = { kind: 'loop' as const, done: t.done, failed: t.failed, running: t.running, total: count ?? 0 }
  if (ended) return { ...bar, parts: [plural(iterations, 'iteration')], of: count ? `of ${formatCount(count)}` : '' }
  if (!iterations) return { ...bar, parts: ['starting…'], of: '' }
  return { ...bar, parts: [`iteration ${formatCount(iterations)}`], of: count ? `of ${formatCount(count)}` : max ? `· max ${formatCount(max)}` : '' }
}

/** The items list's filters: everything, or one group, with how many items each holds. */
export interface ItemFilter {
  group: ItemGroup | 'all'
  label: string
  statuses: readonly string[]
  count: number
}

const GROUP_LABEL: Record<ItemGroup, string> = { done: 'Done', failed: 'Failed', running: 'Running', pending: 'Pending', cancelled: 'Cancelled' }

/** "All" and the groups that hold items (the chosen one stays, at 0, so it can be left). */
export function itemFilters(t: Tally, chosen: ItemGroup | 'all' = 'all'): ItemFilter[] {
  const groups = (Object.keys(ITEM_GROUPS) as ItemGroup[]).filter((g) => t[g] > 0 || g === chosen)
  return [{ group: 'all', label: 'All', statuses: [], count: t.total }, ...groups.map((g) => ({ group: g, label: GROUP_LABEL[g], statuses: ITEM_GROUPS[g], count: t[g] }))]
}

/** The steps API's query for a page of the items list: each item once, as it stands, in number order. */
export function itemsQuery(node: string, statuses: readonly string[], limit: number): string {
  const q = new URLSearchParams({ node, items: 'true', latest: 'true', order: 'item', limit: String(limit) })
  for (const s of statuses) q.append('status', s)
  return q.toString()
}

/** An item's number as the page writes it: a map item's index ("7"), a loop iteration counting from 1 ("3" for key "2"). */
export function itemNumber(kind: string, key: string): string {
  const n = Number(key)
  return kind === 'loop' && key !== '' && Number.isInteger(n) ? formatCount(n + 1) : key
}

/** "Item 7", "Iteration 3". */
export const itemName = (kind: string, key: string) => `${kind === 'loop' ? 'Iteration' : 'Item'} ${itemNumber(kind, key)}`
