/** Automatic left-to-right layout with ELK (loaded on first use: it is most of the bundle's weight). */
import type { ElkNode } from 'elkjs/lib/elk-api'

export interface LayoutNode {
  id: string
  width: number
  height: number
  /** Output ports top to bottom, as the node draws them. */
  ports: string[]
}
export interface LayoutEdge {
  id: string
  source: string
  target: string
  port: string
}

const GRID = 10

export function elkGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): ElkNode {
  const ids = new Set(nodes.map((n) => n.id))
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '40',
      'elk.spacing.componentComponent': '70',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.separateConnectedComponents': 'true',
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: n.width,
      height: n.height,
      layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
      ports: [
        { id: `${n.id}\u0000in`, layoutOptions: { 'elk.port.side': 'WEST' } },
        ...n.ports.map((p, i) => ({ id: `${n.id}\u0000out\u0000${p}`, layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(i) } })),
      ],
    })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, sources: [`${e.source}\u0000out\u0000${e.port}`], targets: [`${e.target}\u0000in`] })),
  }
}

type Elk = { layout(graph: ElkNode): Promise<ElkNode> }
let engine: Promise<Elk> | null = null

/**
 * ELK, loaded on first use (it is most of the designer's weight, so never with the page). It runs
 * in a Web Worker: laying out a large graph takes seconds and must not freeze the page.
 */
function elk(): Promise<Elk> {
  engine ??= Promise.all([import('elkjs/lib/elk-api.js'), import('elkjs/lib/elk-worker.min.js?worker')]).then(
    ([{ default: ELK }, { default: ElkWorker }]) => new ELK({ workerFactory: () => new ElkWorker() }),
    (e) => {
      engine = null // a failed download can be retried
      throw e
    },
  )
  return engine
}

/** New top-left positions by node id (on a 10 px grid). */
export async function layout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Promise<Map<string, { x: number; y: number }>> {
  const result = await (await elk()).layout(elkGraph(nodes, edges))
  const out = new Map<string, { x: number; y: number }>()
  for (const child of result.children ?? []) {
    out.set(child.id, { x: Math.round((child.x ?? 0) / GRID) * GRID, y: Math.round((child.y ?? 0) / GRID) * GRID })
  }
  return out
}
