import { describe, expect, it } from 'vitest'
import { TYPES } from '../graph/fixtures'
import type { Config } from '../graph/types'
import { choicesOf, chosenOption, switchChanges } from './choices'

const [perItem] = choicesOf(TYPES.map.schema)
const [repeat] = choicesOf(TYPES.loop.schema)

describe('choicesOf', () => {
  it("makes a map's handler-or-workflow a 'Per item' switch, the handler bringing its compensation, the workflow its allow-list and version", () => {
    expect(perItem.title).toBe('Per item')
    expect(perItem.options).toEqual([
      { key: 'handler', label: 'Handler', fields: ['handler', 'compensate'] },
      { key: 'workflow', label: 'Workflow', fields: ['workflow', 'allowed_workflows', 'version'] },
    ])
  })
  it("makes a loop's count-or-while a 'Repeat: N times | While' switch", () => {
    expect(repeat.title).toBe('Repeat')
    expect(repeat.options.map((o) => [o.label, o.fields])).toEqual([
      ['N times', ['count']],
      ['While', ['while']],
    ])
  })
  it('falls back to the field titles for a oneOf it has no words for, and ignores schemas without one', () => {
    const schema = { type: 'object', properties: { a: { title: 'Alpha' }, b: {} }, oneOf: [{ required: ['a'] }, { required: ['b'] }] }
    expect(choicesOf(schema)).toEqual([{ title: 'One of', options: [{ key: 'a', label: 'Alpha', fields: ['a'] }, { key: 'b', label: 'B', fields: ['b'] }] }])
    expect(choicesOf(TYPES.subworkflow.schema)).toEqual([])
    expect(choicesOf({ properties: { a: {} }, oneOf: [{ required: ['a'] }, { type: 'object' }] })).toEqual([])
    expect(choicesOf({ properties: { a: {} }, oneOf: [{ required: ['a'] }, { required: ['ghost'] }] })).toEqual([])
  })
})

describe('choosing an option', () => {
  it('reads the chosen option from the config, none while it sets neither', () => {
    expect(chosenOption(perItem, { items: 'x', workflow: 'w' })?.key).toBe('workflow')
    expect(chosenOption(perItem, { items: 'x' })).toBeNull()
  })
  it("clears the other option's fields and gives them back on switching back", () => {
    const stash = new Map<string, Config[string]>()
    const config: Config = { items: 'x', workflow: '{{ item.kind }}', allowed_workflows: ['a', 'b'], version: 2 }
    expect(switchChanges(perItem, 'handler', config, stash)).toEqual([
      [['workflow'], undefined],
      [['allowed_workflows'], undefined],
      [['version'], undefined],
    ])
    expect(switchChanges(perItem, 'workflow', { items: 'x', handler: 'demo.noop' }, stash)).toEqual([
      [['handler'], undefined],
      [['workflow'], '{{ item.kind }}'],
      [['allowed_workflows'], ['a', 'b']],
      [['version'], 2],
    ])
    expect(stash.has('workflow')).toBe(false)
    expect(stash.get('handler')).toBe('demo.noop')
  })
  it('keeps only the shown option of a config that sets both', () => {
    expect(switchChanges(repeat, 'count', { count: 3, while: 'true' }, new Map())).toEqual([[['while'], undefined]])
    expect(switchChanges(repeat, 'count', { count: 3 }, new Map())).toEqual([])
  })
})

describe("a map's compensation goes with its handler", () => {
  it('is cleared with the handler when the map switches to a workflow, and given back on switching back', () => {
    const stash = new Map<string, Config[string]>()
    const config: Config = { items: 'input.rows', handler: 'demo.charge', compensate: { handler: 'demo.refund', retry: { max_attempts: 5 } } }
    const toWorkflow = switchChanges(perItem, 'workflow', config, stash)
    expect(toWorkflow).toEqual([
      [['handler'], undefined],
      [['compensate'], undefined],
    ])
    const back = switchChanges(perItem, 'handler', { items: 'input.rows' }, stash)
    expect(back).toEqual([
      [['handler'], 'demo.charge'],
      [['compensate'], { handler: 'demo.refund', retry: { max_attempts: 5 } }],
    ])
  })
})
