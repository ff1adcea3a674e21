import { describe, expect, it } from 'vitest'
import type { StepRun } from '../api/types'
import { progressOf, runningProgress } from './heartbeat'
import { parsePayload, signalNameError, signalNodes } from './signal'

const step = (over: Partial<StepRun>): StepRun => ({ node: 'a', type: 'task', attempt: 1, status: 'running', output: null, error: null, started_at: null, finished_at: null, duration_ms: null, ...over })

describe('progressOf', () => {
  it('reads 0..1 as a fraction and above 1 as a percentage', () => {
    expect(progressOf({ progress: 0.4 })).toBe(0.4)
    expect(progressOf({ progress: 40 })).toBe(0.4)
    expect(progressOf({ progress: 1 })).toBe(1)
    expect(progressOf({ progress: 100 })).toBe(1)
  })
  it('clamps and refuses what is not a finite number', () => {
    expect(progressOf({ progress: 250 })).toBe(1)
    expect(progressOf({ progress: -3 })).toBe(0)
    for (const d of [null, 3, [0.5], { progress: '50%' }, { progress: null }, {}]) expect(progressOf(d)).toBeNull()
  })
  it('draws progress only while the step runs', () => {
    expect(runningProgress(step({ heartbeat: { progress: 0.5 } }))).toBe(0.5)
    expect(runningProgress(step({ status: 'completed', heartbeat: { progress: 0.5 } }))).toBeNull()
    expect(runningProgress(undefined)).toBeNull()
  })
})

describe('signals', () => {
  it('checks the name as a signal node does', () => {
    expect(signalNameError('approve')).toBeNull()
    expect(signalNameError('order.paid:v2')).toBeNull()
    expect(signalNameError('')).toMatch(/Name the signal/)
    expect(signalNameError('has space')).toMatch(/Letters, digits/)
    expect(signalNameError('x'.repeat(101))).toMatch(/at most 100/)
  })
  it('reads an empty payload as null and refuses text that is not JSON', () => {
    expect(parsePayload('  ')).toEqual({ value: null })
    expect(parsePayload('{"a": [1, 2]}')).toEqual({ value: { a: [1, 2] } })
    expect(parsePayload('"text"')).toEqual({ value: 'text' })
    expect(parsePayload('{nope').error).toMatch(/^Not JSON/)
  })
  it('lists the signal nodes, those waiting now first', () => {
    const nodes = [
      { id: 't', data: { kind: 'task', config: {} } },
      { id: 'first', data: { kind: 'signal', config: { name: 'a' } } },
      { id: 'second', data: { kind: 'signal', config: { name: 'b' } } },
    ]
    const steps = new Map([['second', [step({ node: 'second', type: 'signal', status: 'waiting' })]]])
    expect(signalNodes(nodes, steps)).toEqual([
      { node: 'second', name: 'b', waiting: true },
      { node: 'first', name: 'a', waiting: false },
    ])
  })
})
