/** One attempt of a step as the step drawer shows it: which one, its timings, its file names. */
import type { StepRun } from '../api/types'
import { formatTime, formatWhen } from '../ui/when'
import { latestStep } from './status'

/** A node's attempts in the order the engine created them (StepRun ids grow). */
export function attemptsInOrder(runs: readonly StepRun[]): StepRun[] {
  return [...runs].sort((a, b) => (a.id ?? 0) - (b.id ?? 0) || a.attempt - b.attempt)
}

/**
 * The attempt to show: the chosen one (a StepRun id, from the picker or the timeline) while it is
 * one of this node's, else the node's latest, so an open drawer follows a retry as it starts.
 */
export function chooseAttempt(runs: readonly StepRun[], chosen: number | null): StepRun | undefined {
  const picked = chosen === null ? undefined : runs.find((r) => r.id === chosen)
  return picked ?? latestStep(runs)
}

/** How the picker names an attempt: "#2", or "a.pdf #2" for one item of a fan-out. */
export function attemptName(run: Pick<StepRun, 'attempt' | 'item_key'>): string {
  return run.item_key ? `${run.item_key} #${run.attempt}` : `#${run.attempt}`
}

const FINAL = new Set(['completed', 'failed', 'skipped', 'cancelled', 'timed_out', 'compensated'])

export interface Timings {
  /** Scheduled → started (the queue, and a retry's backoff); to `now` while it has not started. */
  queuedMs: number | null
  /** Started → finished (the server's figure once it is known); to `now` while it runs. */
  ranMs: number | null
  /** Whether a figure grows with the clock (the attempt has not finished). */
  live: boolean
}

const ms = (value: string | null | undefined) => (value ? Date.parse(value) : NaN)
/** The browser's clock may run behind the server's: a live figure never goes below zero. */
const span = (from: number, to: number) => (Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, to - from))

export function attemptTimings(run: StepRun, now: number): Timings {
  const final = FINAL.has(run.status)
  const scheduled = ms(run.scheduled_at)
  const started = ms(run.started_at)
  const finished = ms(run.finished_at)
  const live = !final && Number.isNaN(finished)
  const queuedMs = span(scheduled, Number.isNaN(started) ? (live ? now : NaN) : started)
  const ranMs = run.duration_ms ?? span(started, Number.isNaN(finished) ? (live ? now : NaN) : finished)
  return { queuedMs, ranMs, live }
}

/** A moment of the attempt: the time of day when it is the day of `reference`, else date and time. */
export function momentText(value: string | null | undefined, reference: string | null | undefined): string {
  if (!value) return ''
  const day = (v: string | null | undefined) => formatWhen(v).slice(0, 10)
  return reference && day(value) === day(reference) ? formatTime(value) : formatWhen(value)
}

const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64)

/** The file a value downloads as: instance, node, attempt (and item), then what it is. */
export function downloadName(instanceId: string, run: Pick<StepRun, 'node' | 'attempt' | 'item_key'>, what: string): string {
  const item = run.item_key ? `-${safe(run.item_key)}` : ''
  return `${safe(instanceId)}-${safe(run.node)}${item}-attempt-${run.attempt}-${safe(what)}.json`
}
