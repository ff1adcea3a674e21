import { describe, expect, it } from 'vitest'
import { layout, type LayoutEdge, type LayoutNode } from './layout'

const node = (id: string, ports = ['out']): LayoutNode => ({ id, width: 180, height: 60, ports })
const edge = (source: string, target: string, port = 'out'): LayoutEdge => ({ id: `${source}-${target}-${port}`, source, target, port })

describe('layout', () => {
  it('puts a chain in consecutive columns left to right', async () => {
    const pos = await layout([node('c'), node('a'), node('b')], [edge('a', 'b'), edge('b', 'c')])
    expect(pos.get('a')!.x).toBeLessThan(pos.get('b')!.x)
    expect(pos.get('b')!.x).toBeLessThan(pos.get('c')!.x)
  })

  it('puts a diamond in three columns and stacks the branches without overlap', async () => {
    const nodes = [node('s'), node('l'), node('r'), node('j')]
    const edges = [edge('s', 'l'), edge('s', 'r'), edge('l', 'j'), edge('r', 'j'), edge('s', 'j')]
    const pos = await layout(nodes, edges)
    expect(pos.get('s')!.x).toBeLessThan(pos.get('l')!.x)
    expect(pos.get('l')!.x).toBeLessThan(pos.get('j')!.x)
    expect(pos.get('l')!.x).toBe(pos.get('r')!.x)
    expect(Math.abs(pos.get('l')!.y - pos.get('r')!.y)).toBeGreaterThanOrEqual(60)
  })

  it('keeps the true branch above the false branch', async () => {
    const nodes = [node('if', ['true', 'false']), node('no'), node('yes')]
    const pos = await layout(nodes, [edge('if', 'no', 'false'), edge('if', 'yes', 'true')])
    expect(pos.get('yes')!.y).toBeLessThan(pos.get('no')!.y)
  })

  it('still places every step when the graph has a cycle (mid-edit)', async () => {
    const nodes = [node('a'), node('b'), node('c')]
    const pos = await layout(nodes, [edge('a', 'b'), edge('b', 'c'), edge('c', 'b')])
    expect([...pos.keys()].sort()).toEqual(['a', 'b', 'c'])
  })

  it('snaps to the 10 px grid', async () => {
    const pos = await layout([node('a'), node('b')], [edge('a', 'b')])
    for (const p of pos.values()) expect([p.x % 10, p.y % 10]).toEqual([0, 0])
  })

  it('keeps a switch\'s cases in their order, whichever edge came first', async () => {
    const nodes = [node('sw', ['a', 'b', 'c', 'default']), node('tc'), node('ta'), node('td'), node('tb')]
    const edges = [edge('sw', 'td', 'default'), edge('sw', 'tc', 'c'), edge('sw', 'ta', 'a'), edge('sw', 'tb', 'b')]
    const pos = await layout(nodes, edges)
    const ys = ['ta', 'tb', 'tc', 'td'].map((id) => pos.get(id)!.y)
    expect([...ys].sort((x, y) => x - y)).toEqual(ys)
  })

  it('lays out two conditions that route the same pair in opposite orders', async () => {
    const nodes = [node('x', ['true', 'false']), node('y', ['true', 'false']), node('a'), node('b'), node('c')]
    const edges = [edge('x', 'a', 'true'), edge('x', 'b', 'false'), edge('y', 'b', 'true'), edge('y', 'a', 'false'), edge('b', 'c'), edge('x', 'c', 'false')]
    const pos = await layout(nodes, edges)
    expect(new Set([...pos.values()].map((p) => `${p.x},${p.y}`)).size).toBe(5)
  })

  it('on random DAGs with conditions: every edge points right and no two steps overlap', async () => {
    let seed = 11
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let round = 0; round < 25; round++) {
      const count = 2 + Math.floor(rand() * 40)
      const nodes = Array.from({ length: count }, (_, i) => ({ id: `n${i}`, width: 120 + Math.floor(rand() * 100), height: 40 + Math.floor(rand() * 60), ports: rand() < 0.3 ? ['true', 'false'] : ['out'] }))
      const edges: LayoutEdge[] = []
      for (let i = 1; i < count; i++) {
        const parents = 1 + Math.floor(rand() * 2)
        for (let k = 0; k < parents; k++) {
          const source = nodes[Math.floor(rand() * i)]
          edges.push(edge(source.id, `n${i}`, source.ports[Math.floor(rand() * source.ports.length)]))
        }
      }
      const pos = await layout(nodes, edges)
      for (const e of edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x)
      for (let i = 0; i < count; i++) {
        for (let j = i + 1; j < count; j++) {
          const [a, b] = [nodes[i], nodes[j]]
          const [pa, pb] = [pos.get(a.id)!, pos.get(b.id)!]
          const apart = pa.x + a.width <= pb.x + GRID_SLACK || pb.x + b.width <= pa.x + GRID_SLACK || pa.y + a.height <= pb.y + GRID_SLACK || pb.y + b.height <= pa.y + GRID_SLACK
          expect(apart, `${a.id} and ${b.id} overlap`).toBe(true)
        }
      }
    }
  })
})

/** Snapping to the 10 px grid may move two neighbours up to 10 px closer. */
const GRID_SLACK = 10
