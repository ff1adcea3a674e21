import { describe, expect, it } from 'vitest'
import { eventChoices, filterEvents, mergeEvents, type InstanceEvent } from './events'

const ev = (seq: number, type = 'step_completed', node = 'a'): InstanceEvent => ({ seq, type, node, attempt: 1, data: {}, created_at: '2026-01-01T00:00:00Z' })

describe('mergeEvents', () => {
  it('appends newer events and drops ones it already has (a socket backlog after a fetched page)', () => {
    const list = [ev(1), ev(2)]
    expect(mergeEvents(list, [ev(3)]).map((e) => e.seq)).toEqual([1, 2, 3])
    expect(mergeEvents(list, [ev(2), ev(3), ev(1)]).map((e) => e.seq)).toEqual([1, 2, 3])
    expect(mergeEvents([ev(5)], [ev(4)]).map((e) => e.seq)).toEqual([4, 5])
  })
})

describe('filterEvents and eventChoices', () => {
  const list = [ev(1, 'instance_started', ''), ev(2, 'step_started', 'a'), ev(3, 'step_failed', 'b'), ev(4, 'step_started', 'b')]
  it('filters by step, by kind, or both', () => {
    expect(filterEvents(list, { step: 'b', kind: '' }).map((e) => e.seq)).toEqual([3, 4])
    expect(filterEvents(list, { step: '', kind: 'step_started' }).map((e) => e.seq)).toEqual([2, 4])
    expect(filterEvents(list, { step: 'b', kind: 'step_started' }).map((e) => e.seq)).toEqual([4])
    expect(filterEvents(list, { step: '', kind: '' })).toHaveLength(4)
  })
  it('offers the steps and kinds that occur', () => {
    expect(eventChoices(list)).toEqual({ steps: ['a', 'b'], kinds: ['instance_started', 'step_failed', 'step_started'] })
  })
})
