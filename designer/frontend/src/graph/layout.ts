/**
 * Automatic left-to-right layout: a small layered (Sugiyama-style) layout, built in.
 *
 * ELK did this before, but weighed 441 KB gzipped (the whole designer is 164 KB); workflow graphs
 * are DAGs whose shape is mostly chains, fan-outs and joins, which this handles well:
 * 1. layers by longest path from the entry steps (Kahn; steps on a cycle, possible mid-edit, go last);
 * 2. order within each layer by barycentre sweeps, counting a port's position so `true` stays above `false`;
 * 3. columns as wide as their widest step, steps stacked and each column centred, on a 10 px grid.
 */

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
const SWEEPS = 4

export function layers(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): string[][] {
  const ids = nodes.map((n) => n.id)
  const known = new Set(ids)
  const out = new Map<string, string[]>(ids.map((id) => [id, []]))
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]))
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.target) || e.source === e.target) continue
    out.get(e.source)!.push(e.target)
    indegree.set(e.target, indegree.get(e.target)! + 1)
  }
  const layer = new Map<string, number>()
  const queue = ids.filter((id) => indegree.get(id) === 0)
  for (const id of queue) layer.set(id, 0)
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]
    for (const next of out.get(id)!) {
      layer.set(next, Math.max(layer.get(next) ?? 0, layer.get(id)! + 1))
      indegree.set(next, indegree.get(next)! - 1)
      if (indegree.get(next) === 0) queue.push(next)
    }
  }
  const last = Math.max(-1, ...layer.values())
  for (const id of ids) if (!layer.has(id)) layer.set(id, last + 1) // on a cycle
  const result: string[][] = []
  for (const id of ids) (result[layer.get(id)!] ??= []).push(id)
  return result.filter(Boolean)
}

function order(columns: string[][], nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): string[][] {
  const portShare = new Map<string, number>()
  for (const n of nodes) n.ports.forEach((p, i) => portShare.set(`${n.id}\u0000${p}`, n.ports.length > 1 ? i / n.ports.length : 0))
  const parents = new Map<string, { id: string; share: number }[]>()
  const children = new Map<string, { id: string; share: number }[]>()
  for (const e of edges) {
    const share = portShare.get(`${e.source}\u0000${e.port}`) ?? 0
    ;(parents.get(e.target) ?? parents.set(e.target, []).get(e.target)!).push({ id: e.source, share })
    ;(children.get(e.source) ?? children.set(e.source, []).get(e.source)!).push({ id: e.target, share: -share })
  }
  const rank = new Map<string, number>()
  columns.forEach((col) => col.forEach((id, i) => rank.set(id, i)))
  const sweep = (col: string[], links: Map<string, { id: string; share: number }[]>) => {
    const centre = (id: string) => {
      const ls = (links.get(id) ?? []).filter((l) => rank.has(l.id))
      return ls.length ? ls.reduce((sum, l) => sum + rank.get(l.id)! + l.share, 0) / ls.length : rank.get(id)!
    }
    const sorted = col.map((id) => ({ id, key: centre(id) })).sort((a, b) => a.key - b.key || rank.get(a.id)! - rank.get(b.id)!)
    sorted.forEach(({ id }, i) => rank.set(id, i))
    return sorted.map(({ id }) => id)
  }
  let result = columns.map((c) => [...c])
  for (let s = 0; s < SWEEPS; s++) {
    for (let i = 1; i < result.length; i++) result[i] = sweep(result[i], parents)
    for (let i = result.length - 2; i >= 0; i--) result[i] = sweep(result[i], children)
  }
  return result
}

const snap = (v: number) => Math.round(v / GRID) * GRID

/** New top-left positions by node id (on a 10 px grid). Async so callers need not change if it moves to a worker. */
export async function layout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Promise<Map<string, { x: number; y: number }>> {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const columns = order(layers(nodes, edges), nodes, edges)
  const heights = columns.map((col) => col.reduce((h, id) => h + byId.get(id)!.height, 0) + NODE_GAP * (col.length - 1))
  const tallest = Math.max(0, ...heights)
  const out = new Map<string, { x: number; y: number }>()
  let x = 0
  columns.forEach((col, i) => {
    let y = (tallest - heights[i]) / 2
    for (const id of col) {
      out.set(id, { x: snap(x), y: snap(y) })
      y += byId.get(id)!.height + NODE_GAP
    }
    x += Math.max(...col.map((id) => byId.get(id)!.width)) + LAYER_GAP
  })
  return out
}
