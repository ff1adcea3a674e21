/** The instance's event history as the page keeps it: merged from pages of the API and from the socket. */
import type { Json } from '../graph/types'

/** One event, as `GET /instances/{id}/events/` and the socket both send it. */
export interface InstanceEvent {
  seq: number
  type: string
  node: string
  attempt: number | null
  /** a map item's or a loop iteration's key; "" for the node's own step */
  item?: string
  data: Json
  created_at: string
}

/** `list` with `incoming` added, in seq order, each seq once (the socket's backlog repeats what a page fetched). */
export function mergeEvents(list: readonly InstanceEvent[], incoming: readonly InstanceEvent[]): InstanceEvent[] {
  if (!incoming.length) return list as InstanceEvent[]
  const last = list.length ? list[list.length - 1].seq : 0
  if (incoming.every((e, i) => e.seq > last && (i === 0 || e.seq > incoming[i - 1].seq))) return [...list, ...incoming] // the usual case: appended
  const bySeq = new Map<number, InstanceEvent>()
  for (const e of list) bySeq.set(e.seq, e)
  for (const e of incoming) bySeq.set(e.seq, e)
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq)
}

export interface EventFilter {
  /** A node id; '' for all steps. */
  step: string
  /** An event type; '' for all kinds. */
  kind: string
}

export function filterEvents(list: readonly InstanceEvent[], { step, kind }: EventFilter): InstanceEvent[] {
  return list.filter((e) => (!step || e.node === step) && (!kind || e.type === kind))
}

/** The steps and kinds present, sorted: the filter's choices. */
export function eventChoices(list: readonly InstanceEvent[]): { steps: string[]; kinds: string[] } {
  const steps = new Set<string>()
  const kinds = new Set<string>()
  for (const e of list) {
    if (e.node) steps.add(e.node)
    kinds.add(e.type)
  }
  return { steps: [...steps].sort(), kinds: [...kinds].sort() }
}
