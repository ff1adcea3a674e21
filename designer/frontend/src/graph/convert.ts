import type { Edge, Node } from '@xyflow/react'
import { jsonEqual } from './json'
import type { Config, GraphEdge, GraphNode, GraphSettings, GraphV1, Json } from './types'

/** What a canvas node carries: the step's semantics, nothing about rendering. */
export type StepData = { kind: string; label: string; config: Config }
export type StepNode = Node<StepData, 'step'>
/** An edge's `port` is the React Flow `sourceHandle`. */
export type PortEdge = Edge<Record<string, never>, 'port'>

export interface FlowDoc {
  nodes: StepNode[]
  edges: PortEdge[]
  settings: GraphSettings
  /** Top-level layout keys the server keeps (layout, viewport): carried through untouched. */
  extras: Partial<Pick<GraphV1, 'layout' | 'viewport'>>
  /** Some nodes had no position: the caller should lay the graph out. */
  missingPositions: boolean
}

export const DEFAULT_PORT = 'out'

export function toFlowNode(n: GraphNode, index = 0): StepNode {
  return {
    id: n.id,
    type: 'step',
    position: n.position ? { x: n.position.x, y: n.position.y } : { x: (index % 10) * 260, y: Math.floor(index / 10) * 160 },
    data: { kind: n.type, label: n.label ?? '', config: n.config ?? {} },
  }
}

export function toFlowEdge(e: GraphEdge): PortEdge {
  return { id: e.id, type: 'port', source: e.source, target: e.target, sourceHandle: e.port ?? DEFAULT_PORT }
}

export function docToFlow(doc: GraphV1): FlowDoc {
  const nodes = (doc.nodes ?? []).map(toFlowNode)
  const edges = (doc.edges ?? []).map(toFlowEdge)
  const extras: FlowDoc['extras'] = {}
  if (doc.layout !== undefined) extras.layout = doc.layout
  if (doc.viewport !== undefined) extras.viewport = doc.viewport
  return {
    nodes,
    edges,
    settings: { ...(doc.settings ?? {}) },
    extras,
    missingPositions: (doc.nodes ?? []).some((n) => !n.position),
  }
}

/** The graph JSON v1 to save: only the keys the server knows, positions rounded. */
export function flowToDoc(
  nodes: readonly StepNode[],
  edges: readonly PortEdge[],
  settings: GraphSettings,
  extras: FlowDoc['extras'] = {},
): GraphV1 {
  const doc: GraphV1 = {
    version: 1,
    settings: cleanSettings(settings),
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.kind,
      label: n.data.label,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      config: n.data.config,
    })),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target, port: e.sourceHandle ?? DEFAULT_PORT })),
  }
  if (extras.layout !== undefined) doc.layout = extras.layout
  if (extras.viewport !== undefined) doc.viewport = extras.viewport
  return doc
}

function cleanSettings(settings: GraphSettings): GraphSettings {
  const out: GraphSettings = {}
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) out[k] = v as Json
  return out
}

/**
 * Canvas nodes for `doc`, reusing the objects of `previous` that did not change (same data and
 * position), so React Flow re-renders only what an undo or a reload really touched.
 */
export function mergeNodes(previous: readonly StepNode[], doc: GraphV1): StepNode[] {
  const byId = new Map(previous.map((n) => [n.id, n]))
  return doc.nodes.map((gn, i) => {
    const fresh = toFlowNode(gn, i)
    const old = byId.get(gn.id)
    if (!old) return fresh
    const sameData =
      old.data.kind === fresh.data.kind && old.data.label === fresh.data.label && jsonEqual(old.data.config, fresh.data.config)
    const samePos = Math.round(old.position.x) === fresh.position.x && Math.round(old.position.y) === fresh.position.y
    if (sameData && samePos) return old
    return { ...old, position: samePos ? old.position : fresh.position, data: sameData ? old.data : fresh.data }
  })
}

export function mergeEdges(previous: readonly PortEdge[], doc: GraphV1): PortEdge[] {
  const byId = new Map(previous.map((e) => [e.id, e]))
  return doc.edges.map((ge) => {
    const fresh = toFlowEdge(ge)
    const old = byId.get(ge.id)
    if (old && old.source === fresh.source && old.target === fresh.target && old.sourceHandle === fresh.sourceHandle) return old
    return old ? { ...fresh, selected: old.selected } : fresh
  })
}
