/**
 * The decisions an approval offers (`config.outcomes`, each one a port of the node): ticked and
 * unticked as checkboxes, written in the server's canonical order, and left out of the config
 * when all three are offered (the server's default).
 */
import type { Config, Json } from '../graph/types'
import { APPROVAL_OUTCOMES, offeredOutcomes } from '../graph/ports'

export { APPROVAL_OUTCOMES, offeredOutcomes }

/** What each decision is called on the reviewer's buttons. */
export const OUTCOME_WORDS: Record<string, string> = { approved: 'Approve', rejected: 'Reject', changes: 'Request changes' }

/** The buttons' order on the task page: the positive first, the negative last. */
export const BUTTON_ORDER = ['approved', 'changes', 'rejected'] as const

/** The config value for these decisions: undefined (the key omitted) when all three are offered. */
export function outcomesValue(offered: readonly string[]): Json | undefined {
  const list = APPROVAL_OUTCOMES.filter((o) => offered.includes(o))
  return list.length === APPROVAL_OUTCOMES.length ? undefined : list
}

/**
 * The `outcomes` value after ticking (`on`) or unticking one decision; null when the change is
 * refused because it would leave the task offering nothing.
 */
export function toggleOutcome(config: Config, outcome: string, on: boolean): { value: Json | undefined } | null {
  const offered = offeredOutcomes(config)
  const next = on ? [...offered, outcome] : offered.filter((o) => o !== outcome)
  if (next.length === 0) return null
  return { value: outcomesValue(next) }
}
