/**
 * Node and edge ids are free text, as the server accepts them: `__proto__`, `constructor`,
 * `toString` and `hasOwnProperty` are ids like any other. Keyed by plain objects they read or
 * replace what every object inherits ("t[n.source].add is not a function"); the designer keys by Map.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { InstanceDetail, StepRun } from '../api/types'
import { buildMocks, NEW_MOCK } from '../run/inputs'
import { runView } from '../run/status'
import { currentDoc, edgePortsOf, loadDoc, renameNode, setValidation, useEditor } from '../state/store'
import { toFlowEdge } from './convert'
import { semanticDiff, unionGraph } from './diff'
import { TYPES } from './fixtures'
import { canonical, objectOf } from './json'
import { layout } from './layout'
import type { GraphV1 } from './types'

const IDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const
const [PROTO, CTOR, TO_STRING, HAS_OWN] = IDS

/** __proto__ → constructor (a condition) → toString (true) → hasOwnProperty, which constructor's false port also reaches; edges named like the nodes too. */
const GRAPH: GraphV1 = {
  version: 1,
  settings: {},
  nodes: [
    { id: PROTO, type: 'task', label: 'Proto', position: { x: 0, y: 0 }, config: { handler: 'demo.noop' } },
    { id: CTOR, type: 'condition', label: 'Ctor', position: { x: 200, y: 0 }, config: { expression: 'true' } },
    { id: TO_STRING, type: 'task', label: 'ToString', position: { x: 400, y: 0 }, config: { handler: 'demo.noop' } },
    { id: HAS_OWN, type: 'task', label: 'HasOwn', position: { x: 600, y: 0 }, config: { handler: 'demo.noop' } },
  ],
  edges: [
    { id: PROTO, source: PROTO, target: CTOR, port: 'out' },
    { id: CTOR, source: CTOR, target: TO_STRING, port: 'true' },
    { id: TO_STRING, source: CTOR, target: HAS_OWN, port: 'false' },
    { id: HAS_OWN, source: TO_STRING, target: HAS_OWN, port: 'out' },
  ],
}

const step = (node: string, status: string, ports: string[]): StepRun => ({
  node, type: 'task', attempt: 1, status, output: null, error: null, started_at: '2026-01-01T00:00:00Z', finished_at: null, duration_ms: 1, ports,
})

beforeEach(() => {
  useEditor.setState({ types: TYPES, readOnly: false, compare: null, toasts: [] })
  loadDoc(structuredClone(GRAPH), { reset: true })
})

describe('ids that name what every object inherits', () => {
  it('index the ports each node leaves from', () => {
    const ports = edgePortsOf(GRAPH.edges.map(toFlowEdge))
    expect(Object.fromEntries(ports)).toEqual({ [PROTO]: 'out', [CTOR]: 'true\u0000false', [TO_STRING]: 'out' })
    expect(ports.has(HAS_OWN)).toBe(false)
  })

  it('index validation errors, mentions, edge errors and the plan by node', () => {
    setValidation(
      {
        valid: false,
        plan: { batches: [[PROTO], [CTOR], [TO_STRING], [HAS_OWN]] },
        errors: [
          { node: CTOR, nodes: [CTOR, TO_STRING], code: 'cycle', field: null, message: 'a cycle' },
          { node: HAS_OWN, code: 'unknown_handler', field: 'config.handler', message: 'no handler' },
          { node: PROTO, code: 'unknown_port', field: 'edges[1].port', message: 'no such port' },
        ],
      },
      GRAPH,
    )
    const v = useEditor.getState().validation
    expect(v.byNode.get(CTOR)).toHaveLength(1)
    expect(v.byNode.get(HAS_OWN)?.[0].message).toBe('no handler')
    expect(v.byNode.has(TO_STRING)).toBe(false)
    expect(v.mentions.get(TO_STRING)).toHaveLength(1)
    expect(v.edgeErrors.get(CTOR)).toBe('no such port')
    expect(IDS.map((id) => v.batchOf.get(id))).toEqual([1, 2, 3, 4])
  })

  it('draw a run: attempts, statuses and the path taken', () => {
    const instance: InstanceDetail = {
      id: 'i1', template: 't', version: 1, status: 'completed', input: {}, output: null, error: null,
      steps: [step(PROTO, 'completed', ['out']), step(CTOR, 'completed', ['true']), step(TO_STRING, 'completed', ['out']), step(HAS_OWN, 'completed', ['out'])],
    }
    const run = runView(instance, IDS, GRAPH.edges)
    expect([...run.nodeStatus.values()]).toEqual(['completed', 'completed', 'completed', 'completed'])
    expect(run.steps.get(PROTO)).toHaveLength(1)
    expect(Object.fromEntries(run.edgeState)).toEqual({ [PROTO]: 'taken', [CTOR]: 'taken', [TO_STRING]: 'not-taken', [HAS_OWN]: 'taken' })
  })

  it('compare two versions node by node', () => {
    const b = structuredClone(GRAPH)
    b.nodes[2].config = { handler: 'demo.other' }
    b.nodes = b.nodes.filter((n) => n.id !== HAS_OWN)
    b.edges = b.edges.filter((e) => e.target !== HAS_OWN)
    const diff = semanticDiff(GRAPH, b)
    expect(diff.nodes.get(TO_STRING)).toMatchObject({ status: 'changed', changes: ['config.handler'] })
    expect(diff.nodes.get(HAS_OWN)?.status).toBe('removed')
    expect(diff.nodes.get(PROTO)?.status).toBe('unchanged')
    const { edgeStatus } = unionGraph(GRAPH, b, diff)
    expect(edgeStatus.get(PROTO)).toBe('unchanged')
    expect(edgeStatus.get(HAS_OWN)).toBe('removed')
  })

  it('lay out left to right', async () => {
    const pos = await layout(
      IDS.map((id) => ({ id, width: 180, height: 60, ports: id === CTOR ? ['true', 'false'] : ['out'] })),
      GRAPH.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, port: e.port ?? 'out' })),
    )
    expect([...pos.keys()]).toEqual([...IDS])
    expect(pos.get(PROTO)!.x).toBeLessThan(pos.get(CTOR)!.x)
    expect(pos.get(CTOR)!.x).toBeLessThan(pos.get(TO_STRING)!.x)
    expect(pos.get(TO_STRING)!.x).toBeLessThan(pos.get(HAS_OWN)!.x)
  })

  it('are sent as mock keys of a test run', () => {
    const { mocks } = buildMocks(new Map([[PROTO, { ...NEW_MOCK, mode: 'output' as const, output: '{"ok": true}' }], [CTOR, { ...NEW_MOCK }]]))
    expect(Object.keys(mocks)).toEqual([PROTO])
    expect(JSON.parse(JSON.stringify(mocks))).toEqual(JSON.parse('{"__proto__": {"output": {"ok": true}}}'))
    expect(Object.getPrototypeOf(mocks)).toBe(Object.prototype)
  })

  it('stay keys in canonical JSON and in maps written in the inspector', () => {
    const parsed = JSON.parse('{"__proto__": 1, "constructor": 2}')
    expect(canonical(parsed)).toBe('{"__proto__":1,"constructor":2}')
    expect(JSON.stringify(objectOf([[PROTO, 'x']]))).toBe('{"__proto__":"x"}')
  })

  it('survive a round trip through the editor, and a rename', () => {
    expect(currentDoc()).toEqual(GRAPH)
    renameNode(TO_STRING, 'valueOf')
    const doc = currentDoc()
    expect(doc.nodes.map((n) => n.id)).toEqual([PROTO, CTOR, 'valueOf', HAS_OWN])
    expect(doc.edges.find((e) => e.id === CTOR)?.target).toBe('valueOf')
    expect(useEditor.getState().edgePorts.get('valueOf')).toBe('out')
  })
})
