/**
 * Automatic left-to-right layout with dagre (layered: network-simplex columns, crossing reduction,
 * straight chains). A step's output ports are ordered too: the step its first port leads to is kept
 * above the one its next port leads to (`true` above `false`, a switch's cases in their order).
 */
import dagre from '@dagrejs/dagre'

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
const LAYER_GAP = 90
const NODE_GAP = 40

const snap = (v: number) => Math.round(v / GRID) * GRID

function run(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], constraints: Constraint[]) {
  // dagre's graphlib keeps nodes in plain objects keyed by id, where `__proto__` or `constructor`
  // break it: it only ever sees each node's place in the list
  const key = new Map(nodes.map((n, i) => [n.id, `n${i}`]))
  const g = new dagre.graphlib.Graph({ multigraph: true })
  g.setGraph({ rankdir: 'LR', ranksep: LAYER_GAP, nodesep: NODE_GAP, marginx: 0, marginy: 0 })
  g.setDefaultEdgeLabel(() => ({}))
  nodes.forEach((n, i) => g.setNode(`n${i}`, { width: n.width, height: n.height }))
  edges.forEach((e, i) => g.setEdge(key.get(e.source)!, key.get(e.target)!, {}, `e${i}`))
  dagre.layout(g, { constraints: constraints.map((c) => ({ left: key.get(c.left)!, right: key.get(c.right)! })) })
  return new Map(nodes.map((n, i) => [n.id, g.node(`n${i}`) as { x: number; y: number }]))
}

interface Constraint {
  left: string
  right: string
}

/**
 * "Above" constraints between the steps one step's ports lead to, in port order: only between
 * steps in the same column, and never one that contradicts those already taken (two conditions
 * may route the same pair in opposite orders).
 */
function portConstraints(edges: readonly LayoutEdge[], portIndex: (e: LayoutEdge) => number, column: (id: string) => number): Constraint[] {
  const below = new Map<string, Set<string>>()
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>()
    const stack = [from]
    while (stack.length) {
      const id = stack.pop()!
      if (id === to) return true
      if (seen.has(id)) continue
      seen.add(id)
      stack.push(...(below.get(id) ?? []))
    }
    return false
  }
  const bySource = new Map<string, LayoutEdge[]>()
  for (const e of edges) (bySource.get(e.source) ?? bySource.set(e.source, []).get(e.source)!).push(e)
  const out: Constraint[] = []
  for (const fan of bySource.values()) {
    const ordered = [...fan].sort((a, b) => portIndex(a) - portIndex(b))
    for (let i = 1; i < ordered.length; i++) {
      const [upper, lower] = [ordered[i - 1], ordered[i]]
      const [left, right] = [upper.target, lower.target]
      if (portIndex(upper) === portIndex(lower) || left === right || column(left) !== column(right) || reaches(right, left)) continue
      ;(below.get(left) ?? below.set(left, new Set()).get(left)!).add(right)
      out.push({ left, right })
    }
  }
  return out
}

/** New top-left positions by node id (on a 10 px grid). Async so callers need not change if it moves to a worker. */
export async function layout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Promise<Map<string, { x: number; y: number }>> {
  const known = new Map(nodes.map((n) => [n.id, n]))
  const portIndex = (e: LayoutEdge) => Math.max(0, known.get(e.source)?.ports.indexOf(e.port) ?? 0)
  const usable = edges.filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target)
  // first the columns, then the order within them with the ports' constraints
  let centres = run(nodes, usable, [])
  const constraints = portConstraints(usable, portIndex, (id) => Math.round(centres.get(id)!.x))
  if (constraints.length) {
    try {
      centres = run(nodes, usable, constraints)
    } catch {
      // dagre could not honour them: keep the unconstrained layout
    }
  }
  const pos = new Map<string, { x: number; y: number }>()
  for (const n of nodes) {
    const c = centres.get(n.id)!
    pos.set(n.id, { x: snap(c.x - n.width / 2), y: snap(c.y - n.height / 2) })
  }
  return pos
}
