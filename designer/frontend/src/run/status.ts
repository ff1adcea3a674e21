/** Step runs of an instance as canvas state: each node's status, and the edges the run took. */
import type { InstanceDetail, StepRun } from '../api/types'
import type { GraphEdge } from '../graph/types'

export const FINAL_INSTANCE = new Set(['completed', 'failed', 'cancelled', 'timed_out'])

export type EdgeRunState = 'taken' | 'not-taken' | 'idle'

/** Keyed by node and edge ids: Maps, since an id may be any text, `__proto__` included. */
export interface RunView {
  instanceId: string
  status: string
  final: boolean
  /** The run's attempts by node, oldest first. */
  steps: ReadonlyMap<string, StepRun[]>
  /** Each node's status as drawn, in the graph's node order: its latest attempt's, "pending" before it starts, "not_run" once the run ended without it. */
  nodeStatus: ReadonlyMap<string, string>
  /** By edge id. */
  edgeState: ReadonlyMap<string, EdgeRunState>
  instance: InstanceDetail
}

/** The attempt that stands for the node: the one-per-node step (no item key) with the highest attempt, or the last item. */
export function latestStep(runs: readonly StepRun[]): StepRun | undefined {
  let best: StepRun | undefined
  for (const r of runs) {
    if (!best) best = r
    else if (!r.item_key && best.item_key) best = r
    else if (!!r.item_key === !!best.item_key && r.attempt >= best.attempt) best = r
  }
  return best
}

const DECIDED = new Set(['completed', 'failed', 'skipped', 'cancelled', 'timed_out', 'compensated'])

export function runView(instance: InstanceDetail, nodeIds: readonly string[], edges: readonly GraphEdge[]): RunView {
  const steps = new Map<string, StepRun[]>()
  for (const s of instance.steps ?? []) (steps.get(s.node) ?? steps.set(s.node, []).get(s.node)!).push(s)
  const final = FINAL_INSTANCE.has(instance.status)
  const nodeStatus = new Map<string, string>()
  const latest = new Map<string, StepRun | undefined>()
  for (const id of nodeIds) {
    const step = latestStep(steps.get(id) ?? [])
    latest.set(id, step)
    nodeStatus.set(id, step?.status ?? (final ? 'not_run' : 'pending'))
  }
  const edgeState = new Map<string, EdgeRunState>()
  for (const e of edges) {
    const src = latest.get(e.source)
    const port = e.port ?? 'out'
    const took = src?.ports ? src.ports.includes(port) : src?.status === 'completed' && port === 'out'
    edgeState.set(e.id, took ? 'taken' : src && DECIDED.has(src.status) ? 'not-taken' : 'idle')
  }
  return { instanceId: instance.id, status: instance.status, final, steps, nodeStatus, edgeState, instance }
}
