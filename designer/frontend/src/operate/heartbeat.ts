/** A running step's last heartbeat: its `progress`, when the handler reports one. */
import type { StepRun } from '../api/types'

/** `progress` in the heartbeat details as a fraction 0..1: 0..1 as it is, above 1 read as a percentage (0..100). */
export function progressOf(details: unknown): number | null {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return null
  const value = (details as Record<string, unknown>).progress
  if (typeof value !== 'number' || !Number.isFinite(value)) return null
  return Math.min(1, Math.max(0, value > 1 ? value / 100 : value))
}

/** The progress to draw for a step: only while it runs, from its latest attempt's heartbeat. */
export function runningProgress(step: StepRun | undefined): number | null {
  if (!step || step.status !== 'running') return null
  return progressOf(step.heartbeat)
}

export const percent = (fraction: number) => `${Math.round(fraction * 100)}%`
