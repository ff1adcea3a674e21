/**
 * A field's messages, each said once. As the analyst types, the server checks the expression (the
 * live check under the field); the graph's validation then reports the same problem on the same
 * field: the inspector printed it twice.
 */
import type { CheckResult } from './expressionCheck'

/** A server message without its field prefix ("config.retry.max_attempts: 0 is less…" → "0 is less…"). */
export const bare = (message: string, path: string) => (message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message)

/** The live check's verdict to show under the field: none when the field's errors already say it. */
export function liveVerdict(check: CheckResult | null, fieldMessages: readonly string[]): CheckResult | null {
  if (check && !check.valid && fieldMessages.includes(check.message ?? '')) return null
  return check
}
