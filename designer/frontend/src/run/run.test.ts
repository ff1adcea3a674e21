import { describe, expect, it } from 'vitest'
import type { InstanceDetail, StepRun } from '../api/types'
import type { Json } from '../graph/types'
import { SAMPLE } from '../graph/fixtures'
import { socketUrl } from './follow'
import { NEW_MOCK, buildMocks, parseInputObject } from './inputs'
import { latestStep, runView, withEvent } from './status'

const step = (node: string, status: string, extra: Partial<StepRun> = {}): StepRun => ({
  node,
  type: 'task',
  attempt: 1,
  status,
  output: null,
  error: null,
  started_at: '2026-01-01T00:00:00Z',
  finished_at: null,
  duration_ms: 5,
  ...extra,
})

const instance = (status: string, steps: StepRun[]): InstanceDetail => ({ id: 'i1', template: 't', version: 1, status, input: {}, output: null, error: null, steps })

describe('run view', () => {
  it('colours each node by its latest attempt and marks the path taken', () => {
    const run = runView(
      instance('completed', [
        step('a', 'failed', { attempt: 1 }),
        step('a', 'completed', { attempt: 2, ports: ['out'] }),
        step('check', 'completed', { ports: ['false'] }),
        step('b', 'skipped'),
        step('done', 'completed', { ports: [] }),
      ]),
      SAMPLE.nodes.map((n) => n.id),
      SAMPLE.edges,
    )
    expect(run.final).toBe(true)
    expect(Object.fromEntries(run.nodeStatus)).toEqual({ a: 'completed', check: 'completed', b: 'skipped', done: 'completed' })
    expect(Object.fromEntries(run.edgeState)).toEqual({ e1: 'taken', e2: 'not-taken', e3: 'taken', e4: 'not-taken' })
  })

  it('says pending while running and "not run" once the run ended without a step', () => {
    const ids = SAMPLE.nodes.map((n) => n.id)
    expect(Object.fromEntries(runView(instance('running', [step('a', 'running')]), ids, SAMPLE.edges).nodeStatus)).toMatchObject({ a: 'running', check: 'pending' })
    expect(Object.fromEntries(runView(instance('failed', [step('a', 'failed')]), ids, SAMPLE.edges).nodeStatus)).toMatchObject({ a: 'failed', check: 'not_run' })
  })

  it('prefers the per-node step over map items for the latest attempt', () => {
    expect(latestStep([step('m', 'completed', { attempt: 1 }), step('m', 'failed', { attempt: 3, item_key: '2' })])?.status).toBe('completed')
  })
})

describe('run inputs', () => {
  it('accepts only a JSON object as the input', () => {
    expect(parseInputObject('')).toEqual({ value: {} })
    expect(parseInputObject('{"a": 1}')).toEqual({ value: { a: 1 } })
    expect(parseInputObject('[1]').error).toMatch(/JSON object/)
    expect(parseInputObject('{oops').error).toMatch(/not valid JSON/)
  })

  it('builds mocks: outputs as JSON, failures with a type, real runs left out', () => {
    const { mocks, error } = buildMocks(
      new Map([
        ['a', { ...NEW_MOCK, mode: 'output', output: '{"ok": true}' }],
        ['b', { ...NEW_MOCK, mode: 'fail', type: ' ', message: 'down' }],
        ['c', { ...NEW_MOCK }],
      ]),
    )
    expect(error).toBeUndefined()
    expect(mocks).toEqual({ a: { output: { ok: true } }, b: { fail: { type: 'MockError', message: 'down' } } })
    expect(buildMocks(new Map([['a', { ...NEW_MOCK, mode: 'output', output: '{bad' }]])).error).toMatch(/mocked output of a/)
  })
})

describe('followInstance', () => {
  it('opens its socket on the page\'s host, secure when the page is, from the last seq seen', () => {
    expect(socketUrl('abc', 0, { protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/ws/instances/abc/?after=0')
    expect(socketUrl('abc', 42, { protocol: 'https:', host: 'flow.example' })).toBe('wss://flow.example/ws/instances/abc/?after=42')
  })
})

describe('a live event ahead of the detail', () => {
  const ev = (seq: number, type: string, node = '', attempt: number | null = null, data: { [key: string]: Json } = {}) => {
    const { item = '', ...rest } = data
    return { seq, type, node, attempt, item: String(item), data: rest, created_at: '2026-01-01T00:00:01Z' }
  }
  const base = { ...instance('running', [step('a', 'running')]), last_seq: 4 }

  it('recolours the step it names at once', () => {
    const next = withEvent(base, ev(5, 'step_completed', 'a', 1, { ports: ['out'] }))!
    expect(next.steps[0]).toMatchObject({ node: 'a', status: 'completed', ports: ['out'] })
    expect(next.last_seq).toBe(5)
    expect(runView(next, ['a'], []).nodeStatus.get('a')).toBe('completed')
  })

  it('adds an attempt it has not seen yet, and changes the instance status', () => {
    const retried = withEvent(base, ev(5, 'step_scheduled', 'a', 2))!
    expect(retried.steps.map((s) => [s.attempt, s.status])).toEqual([[1, 'running'], [2, 'scheduled']])
    expect(withEvent(retried, ev(6, 'instance_failed'))!.status).toBe('failed')
  })

  it("recolours a map item's step, never the node's own", () => {
    const map = { ...instance('running', [step('fan', 'waiting', { type: 'map', item_key: '' }), step('fan', 'running', { type: 'map', item_key: '0' })]), last_seq: 4 }
    const next = withEvent(map, ev(5, 'step_completed', 'fan', 1, { item: '0' }))!
    expect(next.steps.map((s) => [s.item_key, s.status])).toEqual([['', 'waiting'], ['0', 'completed']])
    const added = withEvent(next, ev(6, 'step_running', 'fan', 1, { item: '1' }))!
    expect(added.steps.map((s) => [s.item_key, s.status])).toEqual([['', 'waiting'], ['0', 'completed'], ['1', 'running']])
    expect(runView(added, ['fan'], []).nodeStatus.get('fan')).toBe('waiting')
  })

  it('leaves an item it does not show to the next fetch when the detail shows some items only', () => {
    const map = { ...instance('running', [step('fan', 'waiting', { item_key: '' })]), last_seq: 4, steps_truncated: true }
    const next = withEvent(map, ev(5, 'step_running', 'fan', 1, { item: '9999' }))!
    expect(next.steps).toHaveLength(1)
    expect(next.last_seq).toBe(5)
  })

  it('ignores what the instance already shows and what it cannot draw', () => {
    expect(withEvent(base, ev(4, 'step_completed', 'a', 1))).toBeNull()
    expect(withEvent(base, ev(5, 'vars_set'))).toBeNull()
    expect(withEvent(base, ev(5, 'timer_started', 'a', 1))).toBeNull()
  })
})
