/**
 * The timeline of attempts, as numbers: which lanes, in which order, where each attempt's bar
 * starts and ends, and the time axis under them. Kept apart from React so the maths is tested on
 * its own and a clock tick recomputes only what moves (open bars and the "now" line).
 *
 * Times are milliseconds since the epoch, as the server wrote them; x positions are pixels from
 * the start of the track (the label column is not part of it).
 */
import type { StepCount, StepRun } from '../api/types'

/** The label column's width (px). */
export const LABEL_W = 230
/** A lane with one track (px). */
export const LANE_H = 30
const BAR_H = 16
/** Fan-out lanes: one track per item running at once, up to MAX_TRACKS tracks' worth of height. */
const TRACK_PITCH = 12
const MAX_TRACKS = 6
const LANE_PAD = 7
/** The narrowest bar drawn: an attempt that took no time (an inline step, a skip) stays visible. */
export const MIN_BAR_PX = 3
/** Queued time narrower than this is noise next to a bar: left out (the tooltip still says it). */
const MIN_QUEUED_PX = 5
/** The narrowest bar that takes a click. */
export const MIN_HIT_PX = 8
/** The least room between two tick labels (px). */
export const TICK_GAP = 90
/** A live run's axis shows at least this much time, and this much more than has passed. */
const MIN_LIVE_SPAN = 1000
const LIVE_HEADROOM = 1.15

/** Node types whose attempt spends its time waiting for something (a timer, a person, a signal). */
const WAITING_TYPES = new Set(['wait', 'approval', 'signal'])
const ACTIVE = new Set(['scheduled', 'running', 'waiting'])

export interface Bar {
  /** Stable across updates: the StepRun id, else node, item and attempt. */
  key: string
  id: number | null
  node: string
  type: string
  attempt: number
  item: string
  status: string
  /** When it was scheduled (retry backoff and queueing happen between this and `start`). */
  queued: number | null
  start: number | null
  end: number | null
  /** Still scheduled, running or waiting: drawn up to now. */
  open: boolean
  /** A step that waits (wait, approval, signal): its time is drawn as waiting, not working. */
  waits: boolean
  /** The sub-row of its lane (fan-out items running at once), 0 for one-at-a-time attempts. */
  track: number
  /** Its earliest known moment. */
  first: number
  step: StepRun
}

export interface Lane {
  node: string
  label: string
  /** The node's status as the graph draws it. */
  status: string
  bars: Bar[]
  tracks: number
  /** Distinct fan-out item keys drawn (0: not a fan-out). */
  items: number
  /** All its items, drawn or not (the instance's `step_counts`): more than `items` when the detail left some out. */
  totalItems: number
  /** The most attempts of one item (or of the node). */
  attempts: number
  open: boolean
  top: number
  height: number
  /** Its earliest attempt's first moment, null when nothing ran. */
  first: number | null
}

export interface Scale {
  start: number
  end: number
  width: number
}

export const time = (value: string | null | undefined): number | null => {
  if (!value) return null
  const t = Date.parse(value)
  return Number.isNaN(t) ? null : t
}

function toBar(step: StepRun): Bar | null {
  const queued = time(step.scheduled_at)
  const start = time(step.started_at)
  const end = time(step.finished_at)
  const first = Math.min(queued ?? Infinity, start ?? Infinity, end ?? Infinity)
  if (first === Infinity) return null // an attempt with no moment yet has no place on a time axis
  const item = step.item_key ?? ''
  return {
    key: step.id !== undefined ? String(step.id) : `${step.node}\u0000${item}\u0000${step.attempt}`,
    id: step.id ?? null,
    node: step.node,
    type: step.type,
    attempt: step.attempt,
    item,
    status: step.status,
    queued,
    start,
    end,
    open: end === null && ACTIVE.has(step.status),
    waits: WAITING_TYPES.has(step.type) || step.status === 'waiting',
    track: 0,
    first,
    step,
  }
}

/** Greedy interval packing: each bar takes the first track free at its start; open bars hold theirs. */
function pack(bars: Bar[]): number {
  bars.sort((a, b) => a.first - b.first || a.attempt - b.attempt)
  const ends: number[] = []
  for (const bar of bars) {
    const last = bar.open ? Infinity : Math.max(bar.end ?? bar.start ?? bar.first, bar.first)
    let track = ends.findIndex((e) => e <= bar.first)
    if (track < 0) track = ends.push(last) - 1
    else ends[track] = last
    bar.track = track
  }
  return Math.max(1, ends.length)
}

export function laneHeight(tracks: number): number {
  return tracks <= 1 ? LANE_H : LANE_PAD * 2 + Math.min(tracks, MAX_TRACKS) * TRACK_PITCH
}

/** A bar's top and height inside its lane: more tracks than fit share the height, thinner. */
export function barBox(track: number, tracks: number): { y: number; h: number } {
  if (tracks <= 1) return { y: (LANE_H - BAR_H) / 2, h: BAR_H }
  const pitch = (Math.min(tracks, MAX_TRACKS) * TRACK_PITCH) / tracks
  return { y: LANE_PAD + track * pitch, h: Math.max(1, tracks <= MAX_TRACKS ? pitch - 2 : pitch) }
}

/**
 * One lane per node: the ones that ran in the order they first started (ties in graph order), then
 * the ones that have not, in graph order. Nodes with attempts that the graph does not list (an
 * older version's) still get a lane. `counts` (whole, where `steps` may hold some items only) say
 * how many items each fan-out has in all.
 */
export function buildLanes(
  steps: ReadonlyMap<string, readonly StepRun[]>,
  order: readonly string[],
  label: (node: string) => string,
  status: (node: string) => string,
  counts: ReadonlyMap<string, StepCount> = new Map(),
): Lane[] {
  const listed = new Set(order)
  const ids = [...order, ...[...steps.keys()].filter((id) => !listed.has(id))]
  const lanes: Lane[] = ids.map((node) => {
    const bars = (steps.get(node) ?? []).map(toBar).filter((b): b is Bar => b !== null)
    const tracks = pack(bars)
    const perItem = new Map<string, number>()
    let attempts = 0
    for (const b of bars) {
      const n = (perItem.get(b.item) ?? 0) + 1
      perItem.set(b.item, n)
      attempts = Math.max(attempts, n)
    }
    const items = perItem.size - (perItem.has('') ? 1 : 0)
    return {
      node,
      label: label(node),
      status: status(node),
      bars,
      tracks,
      items,
      totalItems: items ? Math.max(items, counts.get(node)?.items ?? 0) : 0,
      attempts,
      open: bars.some((b) => b.open),
      top: 0,
      height: laneHeight(tracks),
      first: bars.length ? bars[0].first : null, // packing sorted them by their first moment
    }
  })
  // Array.prototype.sort is stable: equal starts keep graph order
  lanes.sort((a, b) => (a.first === null ? (b.first === null ? 0 : 1) : b.first === null ? -1 : a.first - b.first))
  let top = 0
  for (const lane of lanes) {
    lane.top = top
    top += lane.height
  }
  return lanes
}

/** The latest moment the lanes know of. */
export function lastMoment(lanes: readonly Lane[]): number | null {
  let last: number | null = null
  for (const lane of lanes) for (const b of lane.bars) last = Math.max(last ?? -Infinity, b.end ?? b.start ?? b.first)
  return last
}

const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
  86_400_000, 172_800_000, 604_800_000,
]
const WEEK = 604_800_000

/** The smallest round step (ms, s, min, h, days) whose ticks stand at least `gap` px apart. */
export function tickStep(spanMs: number, widthPx: number, gap = TICK_GAP): number {
  const span = Math.max(spanMs, 1)
  for (const step of STEPS_MS) if ((step / span) * widthPx >= gap) return step
  return Math.ceil((span * gap) / widthPx / WEEK) * WEEK
}

/**
 * The axis' first and last moment. A finished run spans exactly its start to its end. A live one
 * keeps room ahead of now, rounded to whole ticks, so the axis rescales only when now crosses a
 * tick (every few seconds), not on every clock tick.
 */
export function timeSpan(
  lanes: readonly Lane[],
  run: { started: number | null; finished: number | null; final: boolean },
  now: number,
  widthPx: number,
): { start: number; end: number } {
  let start = Math.min(run.started ?? Infinity, run.final ? Infinity : now)
  for (const lane of lanes) if (lane.first !== null) start = Math.min(start, lane.first)
  const last = Math.max(lastMoment(lanes) ?? -Infinity, run.finished ?? -Infinity)
  if (start === Infinity) return { start: now, end: now + MIN_LIVE_SPAN } // a finished run without a moment
  if (run.final) return { start, end: Math.max(last, start + 1) }
  const span = Math.max(MIN_LIVE_SPAN, (Math.max(now, last) - start) * LIVE_HEADROOM)
  const step = tickStep(span, widthPx)
  return { start, end: start + Math.ceil(span / step) * step }
}

export const xAt = (scale: Scale, t: number): number => ((t - scale.start) / (scale.end - scale.start)) * scale.width

export interface Segments {
  /** The queued part (scheduled → started), 0 wide when there is none. */
  qx: number
  qw: number
  /** The running (or waiting) part; 0 wide while it has not started. */
  rx: number
  rw: number
}

/** A bar's two parts in px; an open bar ends at `now`. */
export function segments(bar: Bar, scale: Scale, now: number): Segments {
  const endT = bar.open ? Math.max(now, bar.start ?? bar.first) : Math.max(bar.end ?? bar.start ?? bar.first, bar.first)
  const runFrom = bar.start ?? endT
  const queuedFrom = bar.queued !== null && bar.queued < runFrom ? bar.queued : null
  const rx = xAt(scale, runFrom)
  let qx = queuedFrom === null ? rx : xAt(scale, queuedFrom)
  let qw = rx - qx
  if (bar.start === null && bar.open) {
    // still queued: only the queued part, which grows
    const w = xAt(scale, endT) - qx
    return { qx, qw: Math.max(w, MIN_BAR_PX), rx: qx + Math.max(w, MIN_BAR_PX), rw: 0 }
  }
  if (qw < MIN_QUEUED_PX) [qx, qw] = [rx, 0]
  return { qx, qw, rx, rw: Math.max(MIN_BAR_PX, xAt(scale, endT) - rx) }
}

/** How long it ran (or waited) so far, null before it started. */
export function runTime(bar: Bar, now: number): number | null {
  if (bar.start === null) return null
  return Math.max(0, (bar.open ? now : (bar.end ?? bar.start)) - bar.start)
}

/** How long it was queued (scheduled, not started): retry backoff and waiting for a worker. */
export function queuedTime(bar: Bar, now: number): number {
  if (bar.queued === null) return 0
  return Math.max(0, (bar.start ?? (bar.open ? now : (bar.end ?? bar.queued))) - bar.queued)
}

export interface Tick {
  offset: number
  x: number
  label: string
}

const trim = (n: number, decimals: number) => (decimals ? n.toFixed(decimals).replace(/\.?0+$/, '') : n.toFixed(0))

/** A tick's label: its offset from the run's start, in the unit the step needs (ms, s, min, h, d). */
export function tickLabel(offset: number, step: number, span: number): string {
  if (offset === 0) return '0'
  if (step < 1000 && span < 1000) return `${Math.round(offset)} ms`
  const decimals = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3
  const parts: string[] = []
  let rest = offset
  for (const [unit, ms] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000]] as const) {
    const n = Math.floor(rest / ms + 1e-9)
    if (n > 0) parts.push(`${n} ${unit}`)
    rest -= n * ms
  }
  if (rest > 1e-6) parts.push(`${trim(rest / 1000, decimals)} s`)
  return parts.join(' ')
}

export function ticks(scale: Scale): Tick[] {
  const span = scale.end - scale.start
  const step = tickStep(span, scale.width)
  const out: Tick[] = []
  for (let i = 0; i * step <= span + 1e-9; i++) {
    const offset = i * step
    out.push({ offset, x: (offset / span) * scale.width, label: tickLabel(offset, step, span) })
  }
  return out
}

/** Above this many open bars the clock ticks once a second: each tick repaints every one of them. */
const MANY_OPEN = 20

/** How often open bars are redrawn: about when they grow by a pixel, between 5 and 1 times a second. */
export function tickInterval(scale: Scale, openBars = 1): number {
  const msPerPx = (scale.end - scale.start) / Math.max(scale.width, 1)
  return openBars > MANY_OPEN ? 1000 : Math.min(1000, Math.max(200, msPerPx))
}

/**
 * How far the browser's clock is behind the server's, judged from the latest moment the server
 * reported: a running bar must not start after "now", nor shrink when the next update lands.
 */
export function clockLag(lanes: readonly Lane[], clientNow: number): number {
  const last = lastMoment(lanes)
  return last === null ? 0 : Math.max(0, last - clientNow)
}

/** Where focus goes from a bar with the arrow keys: along its lane, or to the nearest bar (in time) of the next lane with bars. */
export function nextBar(lanes: readonly Lane[], lane: number, bar: number, key: string): [number, number] | null {
  const here = lanes[lane]?.bars[bar]
  if (!here) return null
  if (key === 'ArrowLeft') return bar > 0 ? [lane, bar - 1] : null
  if (key === 'ArrowRight') return bar < lanes[lane].bars.length - 1 ? [lane, bar + 1] : null
  if (key === 'Home') return [lane, 0]
  if (key === 'End') return [lane, lanes[lane].bars.length - 1]
  const dir = key === 'ArrowDown' ? 1 : key === 'ArrowUp' ? -1 : 0
  if (!dir) return null
  for (let i = lane + dir; i >= 0 && i < lanes.length; i += dir) {
    const bars = lanes[i].bars
    if (!bars.length) continue
    let best = 0
    for (let j = 1; j < bars.length; j++) if (Math.abs(bars[j].first - here.first) < Math.abs(bars[best].first - here.first)) best = j
    return [i, best]
  }
  return null
}
