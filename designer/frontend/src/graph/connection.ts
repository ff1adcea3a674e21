import { outputPorts } from './ports'
import type { Config, StepTypeDef } from './types'

export interface ConnNode {
  id: string
  kind: string
  config: Config
  /** What the analyst reads on the canvas; messages name steps by it. */
  label?: string
}
export interface ConnEdge {
  source: string
  target: string
  port: string
}
export interface Connection {
  source: string | null
  target: string | null
  sourceHandle?: string | null
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a')

/** A step as the canvas shows it: its label, with its id when another step has the same label. */
export function stepName(id: string, nodes: ReadonlyMap<string, ConnNode>): string {
  const label = nodes.get(id)?.label?.trim()
  if (!label) return id
  for (const other of nodes.values()) if (other.id !== id && other.label?.trim() === label) return `${label} (${id})`
  return label
}

/**
 * Why the designer refuses a new edge, or null when it may be drawn. A convenience only: the
 * server's validation is the judge.
 */
export function connectionProblem(
  conn: Connection,
  nodes: ReadonlyMap<string, ConnNode>,
  edges: readonly ConnEdge[],
  types: Readonly<Record<string, StepTypeDef>>,
): string | null {
  const { source, target } = conn
  if (!source || !target) return 'connect an output port to a node'
  const from = nodes.get(source)
  const to = nodes.get(target)
  if (!from || !to) return 'that node no longer exists'
  const name = (id: string) => stepName(id, nodes)
  if (source === target) return `self-loop: ${name(source)} cannot connect to itself`
  const ports = outputPorts(types[from.kind], from.config)
  if (ports.length === 0) return `${article(from.kind)} ${from.kind} node has no outputs`
  const port = conn.sourceHandle ?? 'out'
  if (!ports.includes(port)) return `${name(source)} has no output port '${port}'`
  if (edges.some((e) => e.source === source && e.target === target && e.port === port)) {
    return `already connected: ${name(source)} (${port}) → ${name(target)}`
  }
  const path = findPath(target, source, edges)
  if (path) return `this would create a cycle: ${[source, ...path].map(name).join(' → ')}`
  return null
}

/** A shortest path of node ids from `start` to `goal` along the edges, or null. */
export function findPath(start: string, goal: string, edges: readonly ConnEdge[]): string[] | null {
  const next = new Map<string, string[]>()
  for (const e of edges) {
    const list = next.get(e.source)
    if (list) list.push(e.target)
    else next.set(e.source, [e.target])
  }
  const parent = new Map<string, string | null>([[start, null]])
  const queue = [start]
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]
    if (v === goal) {
      const path: string[] = []
      for (let u: string | null = v; u !== null; u = parent.get(u) ?? null) path.push(u)
      return path.reverse()
    }
    for (const w of next.get(v) ?? []) {
      if (!parent.has(w)) {
        parent.set(w, v)
        queue.push(w)
      }
    }
  }
  return null
}
