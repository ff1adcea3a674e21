/** Signals on the instance page: the name a signal node can wait for, the payload typed as JSON. */
import type { StepRun } from '../api/types'
import type { Json } from '../graph/types'

/** What a `signal` node's `config.name` accepts (the server checks the same). */
export const SIGNAL_NAME = /^[A-Za-z0-9_.:-]{1,100}$/

export function signalNameError(name: string): string | null {
  if (!name) return 'Name the signal (what a signal node waits for).'
  if (!SIGNAL_NAME.test(name)) return 'Letters, digits and _ . : - only, at most 100.'
  return null
}

/** The payload as typed: empty is null (no payload); anything else must be JSON. */
export function parsePayload(text: string): { value: Json; error?: undefined } | { value?: undefined; error: string } {
  if (!text.trim()) return { value: null }
  try {
    return { value: JSON.parse(text) as Json }
  } catch (e) {
    return { error: `Not JSON: ${(e as Error).message}` }
  }
}

export interface SignalNode {
  node: string
  name: string
  /** Its latest attempt is waiting for the signal now. */
  waiting: boolean
}

/** The graph's signal nodes with the name each waits for; those waiting now first. */
export function signalNodes(nodes: readonly { id: string; data: { kind: string; config: Record<string, unknown> } }[], steps: ReadonlyMap<string, readonly StepRun[]>): SignalNode[] {
  const out: SignalNode[] = []
  for (const n of nodes) {
    const name = n.data.config?.name
    if (n.data.kind !== 'signal' || typeof name !== 'string') continue
    const waiting = (steps.get(n.id) ?? []).some((s) => s.status === 'waiting' && !s.item_key)
    out.push({ node: n.id, name, waiting })
  }
  return out.sort((a, b) => Number(b.waiting) - Number(a.waiting))
}
