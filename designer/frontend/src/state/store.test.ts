import { beforeEach, describe, expect, it } from 'vitest'
import { SAMPLE, TYPES } from '../graph/fixtures'
import { addNode, connect, currentDoc, deleteNodes, loadDoc, pasteClipboard, redo, renameNode, selectOnly, setConfig, setLabel, undo, useEditor } from './store'

// the store in a test: no browser, so no localStorage or clipboard (the in-memory clip is used)
beforeEach(() => {
  useEditor.setState({ types: TYPES, readOnly: false, compare: null, toasts: [], clipboard: null, pasteCount: 0 })
  loadDoc(structuredClone(SAMPLE), { reset: true })
})

describe('editing through the store', () => {
  it('adds, edits, undoes and redoes, and saves exactly graph JSON v1', () => {
    const id = addNode('task', { x: 10, y: 20 })
    expect(id).toBe('task_1')
    setConfig(id!, ['handler'], 'demo.x')
    setLabel(id!, 'New')
    const doc = currentDoc()
    expect(doc.nodes.at(-1)).toEqual({ id: 'task_1', type: 'task', label: 'New', position: { x: 10, y: 20 }, config: { handler: 'demo.x' } })
    undo()
    expect(currentDoc().nodes.at(-1)?.label).toBe('Task')
    undo()
    undo()
    expect(currentDoc()).toEqual(SAMPLE)
    redo()
    expect(currentDoc().nodes.map((n) => n.id)).toContain('task_1')
  })

  it('coalesces typing in one field into one undo step', () => {
    setLabel('a', 'A1')
    setLabel('a', 'A12')
    setLabel('a', 'A123')
    undo()
    expect(currentDoc().nodes[0].label).toBe('A')
  })

  it('refuses a connection with a reason, and draws a valid one', () => {
    connect({ source: 'b', target: 'a', sourceHandle: 'out' })
    expect(useEditor.getState().toasts.at(-1)?.text).toMatch(/cycle/)
    expect(currentDoc().edges).toHaveLength(4)
    connect({ source: 'a', target: 'b', sourceHandle: 'out' })
    expect(currentDoc().edges.at(-1)).toEqual({ id: 'e5', source: 'a', target: 'b', port: 'out' })
  })

  it('moves the edges of a renamed switch case and of a renamed node', () => {
    loadDoc({
      ...SAMPLE,
      nodes: [...SAMPLE.nodes, { id: 's', type: 'switch', label: 'S', position: { x: 0, y: 0 }, config: { expression: 'x', cases: ['one'] } }],
      edges: [...SAMPLE.edges, { id: 'e9', source: 's', target: 'done', port: 'one' }],
    })
    setConfig('s', ['cases'], ['uno'], ['one', 'uno'])
    expect(currentDoc().edges.at(-1)?.port).toBe('uno')
    expect(renameNode('s', 'chooser')).toBeNull()
    expect(currentDoc().edges.at(-1)).toMatchObject({ source: 'chooser', port: 'uno' })
    expect(renameNode('chooser', 'a')).toMatch(/already/)
    expect(renameNode('chooser', '1x')).toMatch(/starts with a letter/)
  })

  it('deletes a node with its edges, and pastes copies with new ids', () => {
    selectOnly(['check'])
    useEditor.setState({ clipboard: { nodes: [structuredClone(SAMPLE.nodes[1])], edges: [] } })
    expect(pasteClipboard()).toBe(1)
    expect(currentDoc().nodes.at(-1)?.id).toBe('condition_1')
    deleteNodes(['check'])
    expect(currentDoc().edges.map((e) => e.id)).toEqual(['e4'])
  })

  it('changes nothing in a read-only view', () => {
    useEditor.setState({ readOnly: true })
    expect(addNode('task', { x: 0, y: 0 })).toBeNull()
    setLabel('a', 'nope')
    deleteNodes(['a'])
    expect(currentDoc()).toEqual(SAMPLE)
  })
})

describe('validation results', () => {
  it('counts each error once, under the node the problems list shows it for', async () => {
    const { setValidation } = await import('./store')
    setValidation(
      {
        valid: false,
        plan: null,
        errors: [
          { node: 'first', nodes: ['first', 'second'], code: 'cycle', message: 'cycle: first → second → first' },
          { node: 'second', code: 'cycle', message: 'second is on a cycle' },
          { node: null, nodes: ['x', 'y'], code: 'cycle', message: 'x and y' },
          { node: null, field: 'settings.timeout_s', message: 'must be positive' },
          { node: 'a', field: 'edges[1].port', message: 'no such port' },
        ],
      },
      SAMPLE,
    )
    const v = useEditor.getState().validation
    expect(v.byNode.get('first')).toHaveLength(1)
    expect(v.byNode.get('second')).toHaveLength(1)
    expect(v.mentions.get('second')).toHaveLength(1)
    expect(v.byNode.get('x')).toHaveLength(1)
    expect(v.mentions.get('y')).toHaveLength(1)
    expect(v.graphErrors.map((e) => e.field)).toEqual(['settings.timeout_s'])
    expect(v.edgeErrors).toEqual(new Map([['e2', 'no such port']]))
  })
})
