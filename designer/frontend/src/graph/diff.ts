import { isPlainObject, jsonEqual } from './json'
import type { GraphEdge, GraphV1 } from './types'

export type ChangeStatus = 'added' | 'removed' | 'changed' | 'unchanged'

export interface NodeDiff {
  id: string
  status: ChangeStatus
  /** Presentation changes: never a change of behaviour. */
  moved: boolean
  relabelled: boolean
  /** What changed in behaviour: "type", "config.handler", "config.retry.max_attempts"... */
  changes: string[]
}

export interface EdgeDiff {
  key: string
  id: string
  source: string
  target: string
  port: string
  status: 'added' | 'removed' | 'unchanged'
}

export interface GraphDiff {
  /** By node id (a Map: an id may be any text, `__proto__` included). */
  nodes: ReadonlyMap<string, NodeDiff>
  edges: EdgeDiff[]
  /** Changed workflow settings keys. */
  settings: string[]
  behaviourChanged: boolean
  layoutChanged: boolean
  counts: { added: number; removed: number; changed: number; moved: number; relabelled: number; edgesAdded: number; edgesRemoved: number }
  summary: string
}

export const edgeKey = (e: GraphEdge) => `${e.source}\u0000${e.port ?? 'out'}\u0000${e.target}`

/** Paths under `prefix` where two JSON values differ (objects are walked, anything else compared whole). */
export function changedPaths(a: unknown, b: unknown, prefix: string): string[] {
  if (jsonEqual(a, b)) return []
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k))
  }
  return [prefix]
}

/**
 * What changed from graph `a` to graph `b`, by behaviour: node type and config, edges (by source,
 * port and target, whatever their ids) and settings. Positions and labels are presentation:
 * reported, never counted as a behaviour change (the server's behaviour checksum agrees).
 */
export function semanticDiff(a: GraphV1, b: GraphV1): GraphDiff {
  const nodes = new Map<string, NodeDiff>()
  const aNodes = new Map(a.nodes.map((n) => [n.id, n]))
  const bNodes = new Map(b.nodes.map((n) => [n.id, n]))
  const counts = { added: 0, removed: 0, changed: 0, moved: 0, relabelled: 0, edgesAdded: 0, edgesRemoved: 0 }

  for (const nb of b.nodes) {
    const na = aNodes.get(nb.id)
    if (!na) {
      nodes.set(nb.id, { id: nb.id, status: 'added', moved: false, relabelled: false, changes: [] })
      counts.added++
      continue
    }
    const changes = [...(na.type !== nb.type ? ['type'] : []), ...changedPaths(na.config ?? {}, nb.config ?? {}, 'config')]
    const moved = (na.position?.x ?? null) !== (nb.position?.x ?? null) || (na.position?.y ?? null) !== (nb.position?.y ?? null)
    const relabelled = (na.label ?? '') !== (nb.label ?? '')
    nodes.set(nb.id, { id: nb.id, status: changes.length ? 'changed' : 'unchanged', moved, relabelled, changes })
    if (changes.length) counts.changed++
    if (moved) counts.moved++
    if (relabelled) counts.relabelled++
  }
  for (const na of a.nodes) {
    if (!bNodes.has(na.id)) {
      nodes.set(na.id, { id: na.id, status: 'removed', moved: false, relabelled: false, changes: [] })
      counts.removed++
    }
  }

  const edges: EdgeDiff[] = []
  const aKeys = new Map(a.edges.map((e) => [edgeKey(e), e]))
  const bKeys = new Map(b.edges.map((e) => [edgeKey(e), e]))
  for (const [key, e] of bKeys) {
    const status = aKeys.has(key) ? 'unchanged' : 'added'
    if (status === 'added') counts.edgesAdded++
    edges.push({ key, id: e.id, source: e.source, target: e.target, port: e.port ?? 'out', status })
  }
  for (const [key, e] of aKeys) {
    if (!bKeys.has(key)) {
      counts.edgesRemoved++
      edges.push({ key, id: e.id, source: e.source, target: e.target, port: e.port ?? 'out', status: 'removed' })
    }
  }

  const settings = changedPaths(a.settings ?? {}, b.settings ?? {}, 'settings')
  const behaviourChanged =
    counts.added + counts.removed + counts.changed + counts.edgesAdded + counts.edgesRemoved + settings.length > 0
  const layoutChanged = counts.moved + counts.relabelled > 0 || !jsonEqual(a.layout, b.layout) || !jsonEqual(a.viewport, b.viewport)
  return { nodes, edges, settings, behaviourChanged, layoutChanged, counts, summary: summarise(counts, settings, behaviourChanged, layoutChanged) }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

function summarise(c: GraphDiff['counts'], settings: string[], behaviour: boolean, layout: boolean): string {
  if (!behaviour) {
    if (!layout) return 'no changes'
    const parts = [c.moved && `${plural(c.moved, 'node')} moved`, c.relabelled && `${plural(c.relabelled, 'label')} changed`].filter(Boolean)
    return `layout only${parts.length ? ` (${parts.join(', ')})` : ''}`
  }
  const parts = [
    c.added && `${plural(c.added, 'node')} added`,
    c.removed && `${plural(c.removed, 'node')} removed`,
    c.changed && `${plural(c.changed, 'node')} changed`,
    c.edgesAdded && `${plural(c.edgesAdded, 'connection')} added`,
    c.edgesRemoved && `${plural(c.edgesRemoved, 'connection')} removed`,
    settings.length && 'workflow settings changed',
  ].filter(Boolean)
  return parts.join(', ')
}

/**
 * The graph to draw for a comparison: `b` plus, ghosted, what `a` had and `b` does not (removed
 * nodes at their old positions, removed edges), with each edge's status by its id in that graph.
 */
export function unionGraph(a: GraphV1, b: GraphV1, diff: GraphDiff): { graph: GraphV1; edgeStatus: Map<string, EdgeDiff['status']> } {
  const removedNodes = a.nodes.filter((n) => diff.nodes.get(n.id)?.status === 'removed')
  const status = new Map(diff.edges.map((e) => [e.key, e.status]))
  const edgeStatus = new Map<string, EdgeDiff['status']>()
  const ids = new Set<string>()
  const edges: GraphEdge[] = []
  for (const e of b.edges) {
    ids.add(e.id)
    edges.push(e)
    edgeStatus.set(e.id, status.get(edgeKey(e)) ?? 'unchanged')
  }
  for (const e of diff.edges) {
    if (e.status !== 'removed') continue
    let id = ids.has(e.id) ? `removed_${e.id}` : e.id
    while (ids.has(id)) id = `${id}_`
    ids.add(id)
    edges.push({ id, source: e.source, target: e.target, port: e.port })
    edgeStatus.set(id, 'removed')
  }
  return { graph: { ...b, nodes: [...b.nodes, ...removedNodes], edges }, edgeStatus }
}
