/**
 * A step's `compensate` (saga): a handler name, under the step's own retry policy, or
 * `{handler, retry}` with a policy of its own. The inspector edits it as a handler picker plus an
 * "own retry policy" switch; these helpers move between the two forms without losing either part.
 */
import { isPlainObject } from '../graph/json'
import type { Json } from '../graph/types'

export interface Compensation {
  handler: string
  /** The compensation's own retry policy; undefined: the step's policy applies. */
  retry?: { [key: string]: Json }
}

/** What a config's `compensate` says, or null when it names no handler. */
export function readCompensation(value: Json | undefined): Compensation | null {
  if (typeof value === 'string') return value ? { handler: value } : null
  if (isPlainObject(value) && typeof value.handler === 'string' && value.handler) {
    return isPlainObject(value.retry) ? { handler: value.handler, retry: value.retry as { [key: string]: Json } } : { handler: value.handler }
  }
  return null
}

/** The handler a `compensate` value names ('' when none), also from an object the server would reject. */
export function compensationHandler(value: Json | undefined): string {
  if (typeof value === 'string') return value
  return isPlainObject(value) && typeof value.handler === 'string' ? value.handler : ''
}

/** Whether the value is the object form (an own retry policy is switched on). */
export const ownsRetry = (value: Json | undefined): boolean => isPlainObject(value)

/** The value after choosing `handler` (undefined: none, which removes the compensation and its policy). */
export function withHandler(value: Json | undefined, handler: string | undefined): Json | undefined {
  if (!handler) return undefined
  return isPlainObject(value) ? { ...value, handler } : handler
}

/** A new own policy starts where a retry policy editor starts: three attempts. */
export const NEW_POLICY: { [key: string]: Json } = { max_attempts: 3 }

/**
 * The value after switching the own retry policy on or off. Off keeps the handler as a plain name;
 * on brings back `kept` (the policy switched off earlier) or a new one.
 */
export function withOwnRetry(value: Json | undefined, on: boolean, kept?: { [key: string]: Json }): Json | undefined {
  const handler = compensationHandler(value)
  if (!handler) return value
  if (!on) return handler
  if (isPlainObject(value)) return value
  return { handler, retry: kept ?? NEW_POLICY }
}

/** "undo: demo.release_resources": what a node draws about its compensation, or '' without one. */
export function undoTag(value: Json | undefined): string {
  const handler = compensationHandler(value)
  return handler ? `undo: ${handler}` : ''
}
