/**
 * A field's messages, each said once. As the analyst types, the server checks the expression (the
 * live check under the field); the graph's validation then reports the same problem on the same
 * field: the inspector printed it twice.
 */
import type { CheckResult } from './expressionCheck'

/**
 * The server's errors on the field at `path` that may still hold for its `value` now. The graph is
 * checked ~500 ms after the last change, plus the round trip: until then a freshly chosen Workflow
 * still read "config: 'workflow' is a required property" under it. A missing value that is now
 * given is answered at once; any other error waits for the server, which alone judges the new value.
 */
export function standing<E extends { field?: string | null; message: string }>(errors: E[], path: string, value: unknown): E[] {
  if (value === undefined) return errors
  const answered = errors.filter((e) => e.field === path && MISSING.test(e.message))
  return answered.length ? errors.filter((e) => !answered.includes(e)) : errors
}

const MISSING = /'[^']+' is a required property$/

/** A server message without its field prefix ("config.retry.max_attempts: 0 is less…" → "0 is less…"). */
export const bare = (message: string, path: string) => (message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message)

/** The live check's verdict to show under the field: none when the field's errors already say it. */
export function liveVerdict(check: CheckResult | null, fieldMessages: readonly string[]): CheckResult | null {
  if (check && !check.valid && fieldMessages.includes(check.message ?? '')) return null
  return check
}
