import { describe, expect, it } from 'vitest'
import { changedPaths, semanticDiff, unionGraph } from './diff'
import { SAMPLE } from './fixtures'
import type { GraphV1 } from './types'

const clone = (): GraphV1 => structuredClone(SAMPLE)

describe('semantic diff', () => {
  it('reports no changes for an identical graph', () => {
    const d = semanticDiff(SAMPLE, clone())
    expect(d.behaviourChanged).toBe(false)
    expect(d.layoutChanged).toBe(false)
    expect(d.summary).toBe('no changes')
  })

  it('says "layout only" when only positions and labels changed', () => {
    const b = clone()
    b.nodes[0].position = { x: 50, y: 50 }
    b.nodes[1].label = 'Renamed'
    const d = semanticDiff(SAMPLE, b)
    expect(d.behaviourChanged).toBe(false)
    expect(d.layoutChanged).toBe(true)
    expect(d.summary).toBe('layout only (1 node moved, 1 label changed)')
    expect(d.nodes.get('a')!).toMatchObject({ status: 'unchanged', moved: true })
    expect(d.nodes.get('check')!).toMatchObject({ status: 'unchanged', relabelled: true })
  })

  it('finds added, removed and changed nodes, with the changed config paths', () => {
    const b = clone()
    b.nodes = b.nodes.filter((n) => n.id !== 'b')
    b.edges = b.edges.filter((e) => e.source !== 'b' && e.target !== 'b')
    b.nodes.push({ id: 'c', type: 'task', label: 'C', position: { x: 0, y: 0 }, config: { handler: 'demo.c' } })
    b.edges.push({ id: 'e9', source: 'check', target: 'c', port: 'true' }, { id: 'e10', source: 'c', target: 'done', port: 'out' })
    b.nodes[0].config = { handler: 'demo.a', retry: { max_attempts: 3 } }
    const d = semanticDiff(SAMPLE, b)
    expect(d.nodes.get('b')!.status).toBe('removed')
    expect(d.nodes.get('c')!.status).toBe('added')
    expect(d.nodes.get('a')!).toMatchObject({ status: 'changed', changes: ['config.retry'] })
    expect(d.nodes.get('check')!.status).toBe('unchanged')
    expect(d.counts).toMatchObject({ added: 1, removed: 1, changed: 1, edgesAdded: 2, edgesRemoved: 2 })
    expect(d.summary).toBe('1 node added, 1 node removed, 1 node changed, 2 connections added, 2 connections removed')
  })

  it('matches edges by source, port and target, not by id', () => {
    const b = clone()
    b.edges = b.edges.map((e, i) => ({ ...e, id: `renamed${i}` }))
    expect(semanticDiff(SAMPLE, b).behaviourChanged).toBe(false)
    b.edges[1].port = 'false'
    const d = semanticDiff(SAMPLE, b)
    expect(d.counts.edgesAdded).toBe(1)
    expect(d.counts.edgesRemoved).toBe(1)
  })

  it('counts a type change and settings changes as behaviour', () => {
    const b = clone()
    b.nodes[0].type = 'http'
    b.settings = { timeout_s: 60 }
    const d = semanticDiff(SAMPLE, b)
    expect(d.nodes.get('a')!.changes).toEqual(['type'])
    expect(d.settings).toEqual(['settings.timeout_s'])
    expect(d.summary).toBe('1 node changed, workflow settings changed')
  })

  it('walks nested objects for changed paths', () => {
    expect(changedPaths({ a: 1, r: { x: 1, y: [1] } }, { a: 1, r: { x: 2, y: [1, 2] }, z: 0 }, 'config')).toEqual([
      'config.r.x',
      'config.r.y',
      'config.z',
    ])
  })

  it('draws removed nodes and edges ghosted next to the new graph', () => {
    const b = clone()
    b.nodes = b.nodes.filter((n) => n.id !== 'b')
    b.edges = b.edges.filter((e) => e.source !== 'b' && e.target !== 'b')
    b.edges.push({ id: 'e2', source: 'check', target: 'done', port: 'true' }) // reuses a removed edge's id
    const d = semanticDiff(SAMPLE, b)
    const { graph, edgeStatus } = unionGraph(SAMPLE, b, d)
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(['a', 'b', 'check', 'done'])
    expect(new Set(graph.edges.map((e) => e.id)).size).toBe(graph.edges.length)
    expect(edgeStatus.get('e2')).toBe('added')
    expect(edgeStatus.get('removed_e2')).toBe('removed')
    expect(edgeStatus.get('e4')).toBe('removed')
    expect(edgeStatus.get('e1')).toBe('unchanged')
  })
})
