import { describe, expect, it } from 'vitest'
import { outputPorts } from '../graph/ports'
import type { StepTypeDef } from '../graph/types'
import { offeredOutcomes, outcomesValue, toggleOutcome } from './outcomes'

const approval: StepTypeDef = {
  type: 'approval', label: 'Approval', category: 'flow', description: '', inline: true,
  ports: ['approved', 'rejected', 'changes', 'timeout'], port_source: null, schema: { type: 'object', properties: {} },
}

describe('an approval node\'s ports', () => {
  it('are the decisions it offers, in the canonical order, then timeout', () => {
    expect(outputPorts(approval, {})).toEqual(['approved', 'rejected', 'changes', 'timeout'])
    expect(outputPorts(approval, { outcomes: ['approved', 'rejected'] })).toEqual(['approved', 'rejected', 'timeout'])
    expect(outputPorts(approval, { outcomes: ['changes', 'approved'] })).toEqual(['approved', 'changes', 'timeout'])
    expect(outputPorts(approval, { outcomes: ['rejected'], on_failure: 'route' })).toEqual(['rejected', 'timeout', 'failure'])
  })
  it('read an absent, empty or malformed outcomes as all three, like the server', () => {
    expect(outputPorts(approval, { outcomes: [] })).toEqual(['approved', 'rejected', 'changes', 'timeout'])
    expect(outputPorts(approval, { outcomes: 'approved' })).toEqual(['approved', 'rejected', 'changes', 'timeout'])
    expect(outputPorts(approval, { outcomes: ['maybe'] })).toEqual(['timeout'])
  })
  it('follow the config without the server describing the ports', () => {
    const { ports: _p, port_source: _s, ...bare } = approval
    expect(outputPorts(bare, { outcomes: ['approved'] })).toEqual(['approved', 'timeout'])
  })
  it('leave other types alone', () => {
    const task: StepTypeDef = { ...approval, type: 'task', ports: ['out'] }
    expect(outputPorts(task, { outcomes: ['approved'] })).toEqual(['out'])
  })
})

describe('the decisions offered', () => {
  it('are omitted from the config when all three are ticked', () => {
    expect(outcomesValue(['changes', 'approved', 'rejected'])).toBeUndefined()
    expect(outcomesValue(['changes', 'approved'])).toEqual(['approved', 'changes'])
  })
  it('untick and tick in the canonical order', () => {
    expect(toggleOutcome({}, 'changes', false)).toEqual({ value: ['approved', 'rejected'] })
    expect(toggleOutcome({ outcomes: ['rejected'] }, 'approved', true)).toEqual({ value: ['approved', 'rejected'] })
    expect(toggleOutcome({ outcomes: ['approved', 'rejected'] }, 'changes', true)).toEqual({ value: undefined })
  })
  it('never leave the task offering nothing', () => {
    expect(toggleOutcome({ outcomes: ['approved'] }, 'approved', false)).toBeNull()
    expect(offeredOutcomes({ outcomes: ['approved'] })).toEqual(['approved'])
  })
})
