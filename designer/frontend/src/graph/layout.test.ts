import { describe, expect, it } from 'vitest'
import { layers, layout, type LayoutEdge, type LayoutNode } from './layout'

const node = (id: string, ports = ['out']): LayoutNode => ({ id, width: 180, height: 60, ports })
const edge = (source: string, target: string, port = 'out'): LayoutEdge => ({ id: `${source}-${target}-${port}`, source, target, port })

describe('layout', () => {
  it('puts a chain in consecutive columns left to right', async () => {
    const pos = await layout([node('c'), node('a'), node('b')], [edge('a', 'b'), edge('b', 'c')])
    expect(pos.get('a')!.x).toBeLessThan(pos.get('b')!.x)
    expect(pos.get('b')!.x).toBeLessThan(pos.get('c')!.x)
  })

  it('layers a diamond by longest path and stacks the branches without overlap', async () => {
    const nodes = [node('s'), node('l'), node('r'), node('j')]
    const edges = [edge('s', 'l'), edge('s', 'r'), edge('l', 'j'), edge('r', 'j'), edge('s', 'j')]
    expect(layers(nodes, edges)).toEqual([['s'], ['l', 'r'], ['j']])
    const pos = await layout(nodes, edges)
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
})
