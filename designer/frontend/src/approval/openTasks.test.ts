import { describe, expect, it } from 'vitest'
import { dueText, heldFor, holders, type OpenTask } from './openTasks'

const NOW = Date.parse('2026-03-02T12:00:00Z')
const task = (over: Partial<OpenTask> = {}): OpenTask => ({
  id: 7,
  title: 'Approve the budget',
  node: 'review',
  claimed_by: null,
  assignees: ['ann', 'bob'],
  groups: ['managers'],
  since: '2026-03-02T10:00:00Z',
  due_at: null,
  overdue: false,
  quorum: 1,
  url: '/inbox/7/',
  ...over,
})

describe('who holds an open task', () => {
  it('is its claimer once claimed', () => {
    expect(holders(task({ claimed_by: 'ann' }))).toEqual({ claimed: true, text: 'ann' })
  })
  it('is everyone it is offered to until then', () => {
    expect(holders(task())).toEqual({ claimed: false, text: 'ann, bob, group managers' })
    expect(holders(task({ assignees: [], groups: [] })).text).toBe('nobody (its assignees are unknown)')
  })
})

describe("an open task's times", () => {
  it('says how long until it is due, or how long it is overdue', () => {
    expect(dueText(task({ due_at: '2026-03-02T14:00:00Z' }), NOW)).toBe('due in 2 h')
    expect(dueText(task({ due_at: '2026-03-02T11:55:00Z', overdue: true }), NOW)).toBe('overdue by 5 min')
    expect(dueText(task(), NOW)).toBe('')
  })
  it('trusts the server that it is overdue even when the clocks differ', () => {
    expect(dueText(task({ due_at: '2026-03-02T12:00:30Z', overdue: true }), NOW)).toBe('overdue')
  })
  it('says how long it has been held or waiting', () => {
    expect(heldFor(task(), NOW)).toBe('2 h')
    expect(heldFor(task({ since: 'junk' }), NOW)).toBe('')
  })
})
