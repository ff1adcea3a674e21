import { describe, expect, it } from 'vitest'
import { copySelection, pasteClip, clipFromText, clipToText } from './clipboard'
import { connectionProblem, findPath, type ConnNode } from './connection'
import { docToFlow, flowToDoc, mergeEdges, mergeNodes } from './convert'
import { SAMPLE, TYPES } from './fixtures'
import { NODE_ID_RE, idPrefix, nextEdgeId, nextId } from './ids'
import { canonical } from './json'
import { freeSpot } from './placement'
import { outputPorts } from './ports'

describe('graph conversion', () => {
  it('round-trips graph JSON v1 through the canvas model unchanged', () => {
    const flow = docToFlow(SAMPLE)
    expect(flow.missingPositions).toBe(false)
    expect(flowToDoc(flow.nodes, flow.edges, flow.settings, flow.extras)).toEqual(SAMPLE)
  })

  it('never leaks React Flow fields into the saved JSON', () => {
    const flow = docToFlow(SAMPLE)
    const noisy = flow.nodes.map((n) => ({ ...n, selected: true, dragging: false, width: 220, height: 80, measured: { width: 220, height: 80 } }))
    const edges = flow.edges.map((e) => ({ ...e, selected: true, animated: true }))
    const doc = flowToDoc(noisy, edges, flow.settings)
    for (const n of doc.nodes) expect(Object.keys(n).sort()).toEqual(['config', 'id', 'label', 'position', 'type'])
    for (const e of doc.edges) expect(Object.keys(e).sort()).toEqual(['id', 'port', 'source', 'target'])
    expect(Object.keys(doc).sort()).toEqual(['edges', 'nodes', 'settings', 'version'])
  })

  it('rounds positions, defaults a missing port to "out" and keeps layout keys', () => {
    const flow = docToFlow({ ...SAMPLE, viewport: { zoom: 1 }, edges: [{ id: 'x', source: 'a', target: 'b' }] })
    flow.nodes[0].position = { x: 10.4, y: -3.6 }
    const doc = flowToDoc(flow.nodes, flow.edges, flow.settings, flow.extras)
    expect(doc.nodes[0].position).toEqual({ x: 10, y: -4 })
    expect(doc.edges[0].port).toBe('out')
    expect(doc.viewport).toEqual({ zoom: 1 })
  })

  it('flags nodes without a position so the caller lays them out', () => {
    const flow = docToFlow({ ...SAMPLE, nodes: [{ id: 'n', type: 'task', config: {} }], edges: [] })
    expect(flow.missingPositions).toBe(true)
    expect(flow.nodes[0].data.label).toBe('')
  })

  it('reuses unchanged node objects when a document is merged back (undo)', () => {
    const flow = docToFlow(SAMPLE)
    const edited = structuredClone(SAMPLE)
    edited.nodes[1].config = { expression: 'false' }
    edited.nodes[2].position = { x: 1, y: 2 }
    const merged = mergeNodes(flow.nodes, edited)
    expect(merged[0]).toBe(flow.nodes[0])
    expect(merged[3]).toBe(flow.nodes[3])
    expect(merged[1]).not.toBe(flow.nodes[1])
    expect(merged[1].data.config).toEqual({ expression: 'false' })
    expect(merged[2].data).toBe(flow.nodes[2].data)
    expect(merged[2].position).toEqual({ x: 1, y: 2 })
    const edges = mergeEdges(flow.edges, SAMPLE)
    expect(edges.every((e, i) => e === flow.edges[i])).toBe(true)
  })
})

describe('ids', () => {
  it('numbers ids per type after the highest in use', () => {
    expect(nextId('task', ['task_1', 'task_7', 'http_9'])).toBe('task_8')
    expect(nextId('task', [])).toBe('task_1')
    expect(nextEdgeId(['e1', 'e12', 'x'])).toBe('e13')
  })
  it('makes prefixes that are valid node ids', () => {
    for (const t of ['task', 'my-type', '9lives', 'ünï']) expect(NODE_ID_RE.test(nextId(idPrefix(t), []))).toBe(true)
  })
})

describe('ports', () => {
  it('uses fixed ports, switch cases plus default, and failure when routed', () => {
    expect(outputPorts(TYPES.task, {})).toEqual(['out'])
    expect(outputPorts(TYPES.condition, {})).toEqual(['true', 'false'])
    expect(outputPorts(TYPES.end, {})).toEqual([])
    expect(outputPorts(TYPES.switch, { cases: ['a', 'b', 'a'] })).toEqual(['a', 'b', 'default'])
    expect(outputPorts(TYPES.task, { on_failure: 'route' })).toEqual(['out', 'failure'])
    expect(outputPorts(TYPES.end, { on_failure: 'route' })).toEqual(['failure'])
  })
  it('falls back to the known ports when the server does not describe them', () => {
    const { ports: _p, port_source: _s, ...bare } = TYPES.switch
    expect(outputPorts(bare, { cases: ['x'] })).toEqual(['x', 'default'])
    const { ports: _q, port_source: _t, ...cond } = TYPES.condition
    expect(outputPorts(cond, {})).toEqual(['true', 'false'])
  })
})

describe('connection rules', () => {
  const nodes = new Map<string, ConnNode>(SAMPLE.nodes.map((n) => [n.id, { id: n.id, kind: n.type, config: n.config, label: n.label }]))
  const edges = SAMPLE.edges.map((e) => ({ source: e.source, target: e.target, port: e.port ?? 'out' }))
  const check = (source: string, target: string, port = 'out') => connectionProblem({ source, target, sourceHandle: port }, nodes, edges, TYPES)

  it('accepts a new forward edge', () => {
    expect(check('a', 'b')).toBeNull()
    expect(check('check', 'b', 'false')).toBeNull()
  })
  it('refuses self-loops, end outputs, repeats, unknown ports and cycles with a reason', () => {
    expect(check('a', 'a')).toMatch(/self-loop/)
    expect(check('done', 'a')).toBe('an end node has no outputs')
    expect(check('check', 'b', 'true')).toMatch(/already connected/)
    expect(check('check', 'a', 'maybe')).toMatch(/no output port 'maybe'/)
    expect(check('b', 'a')).toBe('this would create a cycle: B → A → Check → B')
  })
  it('names steps by their labels, with the id when two share a label or there is none', () => {
    const twins = new Map(nodes)
    twins.set('a', { ...twins.get('a')!, label: 'B' })
    twins.set('check', { ...twins.get('check')!, label: '' })
    expect(connectionProblem({ source: 'b', target: 'a', sourceHandle: 'out' }, twins, edges, TYPES)).toBe('this would create a cycle: B (b) → B (a) → check → B (b)')
  })
  it('finds shortest paths', () => {
    expect(findPath('a', 'done', edges)).toEqual(['a', 'check', 'done'])
    expect(findPath('done', 'a', edges)).toBeNull()
  })
})

describe('clipboard', () => {
  it('copies the selection with its inner edges and pastes with fresh ids', () => {
    const clip = copySelection(SAMPLE.nodes, SAMPLE.edges, new Set(['check', 'b']))
    expect(clip.nodes.map((n) => n.id)).toEqual(['check', 'b'])
    expect(clip.edges.map((e) => e.id)).toEqual(['e2'])
    const pasted = pasteClip(clip, SAMPLE.nodes.map((n) => n.id), SAMPLE.edges.map((e) => e.id), { x: 40, y: 40 })
    expect(pasted.nodes.map((n) => n.id)).toEqual(['condition_1', 'task_1'])
    expect(pasted.nodes[0].position).toEqual({ x: 240, y: 40 })
    expect(pasted.edges).toEqual([{ id: 'e5', source: 'condition_1', target: 'task_1', port: 'true' }])
    expect(clip.nodes[0].id).toBe('check') // the clip itself is untouched
    const again = pasteClip(clip, [...SAMPLE.nodes.map((n) => n.id), 'condition_1', 'task_1'], ['e5'], { x: 0, y: 0 })
    expect(again.nodes.map((n) => n.id)).toEqual(['condition_2', 'task_2'])
  })
  it('recognises its own text on the system clipboard only', () => {
    const clip = copySelection(SAMPLE.nodes, SAMPLE.edges, new Set(['a']))
    expect(clipFromText(clipToText(clip))).toEqual(clip)
    expect(clipFromText('{"nodes": []}')).toBeNull()
    expect(clipFromText('hello')).toBeNull()
  })
})

describe('canonical JSON', () => {
  it('ignores key order', () => {
    expect(canonical({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}')
  })
})

describe('placing new nodes', () => {
  it('uses the centre when it is free, else the nearest free cell', () => {
    expect(freeSpot({ x: 100, y: 40 }, [])).toEqual({ x: 10, y: 0 })
    const taken = [{ x: 10, y: 0, w: 180, h: 80 }]
    const spot = freeSpot({ x: 100, y: 40 }, taken)
    expect(spot).not.toEqual({ x: 10, y: 0 })
    const overlaps = (a: { x: number; y: number }) => !(a.x + 180 <= 10 || 190 <= a.x || a.y + 80 <= 0 || 80 <= a.y)
    expect(overlaps(spot)).toBe(false)
  })
})
