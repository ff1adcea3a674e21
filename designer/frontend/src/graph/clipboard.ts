import { idPrefix, nextEdgeId, nextId } from './ids'
import type { GraphEdge, GraphNode } from './types'

export interface Clip {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

/** The selected nodes and the edges between them. */
export function copySelection(nodes: readonly GraphNode[], edges: readonly GraphEdge[], selected: ReadonlySet<string>): Clip {
  const picked = nodes.filter((n) => selected.has(n.id))
  const ids = new Set(picked.map((n) => n.id))
  return {
    nodes: structuredClone(picked),
    edges: structuredClone(edges.filter((e) => ids.has(e.source) && ids.has(e.target))),
  }
}

/**
 * The clip's nodes and edges with fresh ids (free in `takenNodes` / `takenEdges`), moved by
 * `offset`. Edges keep their ports and follow their nodes to the new ids.
 */
export function pasteClip(
  clip: Clip,
  takenNodes: Iterable<string>,
  takenEdges: Iterable<string>,
  offset: { x: number; y: number },
): Clip {
  const nodeIds = new Set(takenNodes)
  const edgeIds = new Set(takenEdges)
  const rename = new Map<string, string>()
  const nodes = clip.nodes.map((n) => {
    const id = nextId(idPrefix(n.type), nodeIds)
    nodeIds.add(id)
    rename.set(n.id, id)
    const p = n.position ?? { x: 0, y: 0 }
    return { ...structuredClone(n), id, position: { x: p.x + offset.x, y: p.y + offset.y } }
  })
  const edges = clip.edges
    .filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => {
      const id = nextEdgeId(edgeIds)
      edgeIds.add(id)
      return { ...e, id, source: rename.get(e.source)!, target: rename.get(e.target)! }
    })
  return { nodes, edges }
}

const CLIP_MARK = 'flowdesk/graph-clip'

/** The clip as text for the system clipboard (and back), so it can cross tabs. */
export function clipToText(clip: Clip): string {
  return JSON.stringify({ [CLIP_MARK]: 1, ...clip })
}

export function clipFromText(text: string): Clip | null {
  try {
    const data = JSON.parse(text)
    if (data && data[CLIP_MARK] === 1 && Array.isArray(data.nodes) && Array.isArray(data.edges)) {
      return { nodes: data.nodes, edges: data.edges }
    }
  } catch {
    /* not ours */
  }
  return null
}
