/** Step runs of an instance as canvas state: each node's status, and the edges the run took. */
import type { InstanceDetail, StepCount, StepRun } from '../api/types'
import type { InstanceEvent } from './events'
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
  /** By node, whole whatever `steps` leaves out: its attempts and how its items stand. */
  counts: ReadonlyMap<string, StepCount>
  /** `steps` holds the latest attempt of some items only (a huge map): the steps API has the rest. */
  truncated: boolean
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
  const counts = new Map((instance.step_counts ?? []).map((c) => [c.node, c]))
  return { instanceId: instance.id, status: instance.status, final, steps, nodeStatus, edgeState, counts, truncated: !!instance.steps_truncated, instance }
}

const STEP_STATUSES = new Set(['pending', 'scheduled', 'running', 'waiting', 'completed', 'failed', 'skipped', 'cancelled', 'timed_out', 'compensated'])
const INSTANCE_STATUSES = new Set(['running', 'paused', 'completed', 'failed', 'cancelled', 'timed_out'])

/**
 * The instance as it is once ``event`` happened, ahead of the next fetch of its detail, so the
 * canvas recolours a node the moment its event arrives; null when the event changes nothing drawn
 * (or is not newer than what the instance already shows). The fetch that follows corrects the rest.
 */
export function withEvent(instance: InstanceDetail, event: InstanceEvent): InstanceDetail | null {
  if (instance.last_seq !== undefined && event.seq <= instance.last_seq) return null
  const [kind, ...rest] = event.type.split('_')
  const status = rest.join('_')
  const data = (event.data ?? {}) as { ports?: string[]; error?: { type: string; message: string } }
  if (kind === 'instance' && INSTANCE_STATUSES.has(status)) return { ...instance, status, last_seq: event.seq }
  if (kind !== 'step' || !STEP_STATUSES.has(status) || !event.node || event.attempt === null) return null
  // a map item's or a loop iteration's event names its item: it must not recolour the node's own step
  const item = event.item ?? ''
  const steps = instance.steps.slice()
  const at = steps.findIndex((r) => r.node === event.node && r.attempt === event.attempt && (r.item_key ?? '') === item)
  if (at < 0 && item && instance.steps_truncated) return { ...instance, last_seq: event.seq } // the detail shows some items only: the next fetch says which
  const changes: Partial<StepRun> = { status }
  if (data.ports) changes.ports = data.ports
  if (data.error) changes.error = data.error
  if (status === 'running') changes.started_at = event.created_at
  if (at >= 0) steps[at] = { ...steps[at], ...changes }
  else {
    const type = steps.find((r) => r.node === event.node)?.type ?? ''
    steps.push({ node: event.node, type, item_key: item, attempt: event.attempt, output: null, error: null, started_at: null, finished_at: null, duration_ms: null, scheduled_at: event.created_at, ...changes, status })
  }
  return { ...instance, steps, last_seq: event.seq }
}