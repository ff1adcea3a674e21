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

/** JSON Schema's own wording ("'a b' does not match '^[A-Za-z…$'"): a step's check usually says it in words too. */
const SCHEMA_WORDING = [/ does not match '\^/, / should be non-empty$/, / is not valid under any of the given schemas$/]

/**
 * The errors with JSON Schema's wording left out where the same field also has a message in words:
 * a signal named "has space" got both "does not match '^[A-Za-z0-9_.:-]{1,100}$'" and "letters,
 * digits and _ . : - only", an empty query both "should be non-empty" and "the expression is empty".
 */
export function plainest<E extends { field?: string | null; message: string }>(errors: E[]): E[] {
  const worded = (e: E) => SCHEMA_WORDING.some((re) => re.test(e.message))
  const plain = new Set(errors.filter((e) => !worded(e)).map((e) => e.field ?? ''))
  return errors.filter((e) => !worded(e) || !plain.has(e.field ?? ''))
}

/** A compensation the oneOf rejects, in words (the verdict names neither the handler nor the policy). */
export function compensationMessage(message: string): string {
  return / is not valid under any of the given schemas$/.test(message)
    ? "a compensation needs a handler, and its own retry policy (if on) only the policy's fields with values in range"
    : message
}
