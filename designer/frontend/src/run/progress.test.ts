import { describe, expect, it } from 'vitest'
import type { StepCount, StepRun } from '../api/types'
import { formatCount, itemFilters, itemName, itemNumber, itemsQuery, nodeProgress, progressText, tally } from './progress'

const count = (by_status: Record<string, number>): StepCount => ({ node: 'n', attempts: 0, items: 0, by_status })
const own = (status: string, output: StepRun['output'] = null): StepRun => ({ node: 'n', type: 'map', attempt: 1, status, output, error: null, started_at: null, finished_at: null, duration_ms: null })

describe('tally', () => {
  it('groups item statuses as the page names them, and counts each item once', () => {
    expect(tally({ completed: 412, failed: 2, timed_out: 1, running: 6, scheduled: 1, waiting: 3, pending: 575 })).toEqual({
      done: 412,
      failed: 3,
      running: 10,
      pending: 575,
      cancelled: 0,
      total: 1000,
    })
  })
  it('counts a status it does not know in the total only', () => {
    expect(tally({ completed: 1, mystery: 2 })).toMatchObject({ done: 1, total: 3 })
  })
})

describe('a map', () => {
  it('says how many are done, failed and running of all its items', () => {
    const p = nodeProgress('map', {}, count({ completed: 412, failed: 3, running: 10, pending: 575 }), own('waiting'), true)!
    expect(progressText(p)).toBe('412 done · 3 failed · 10 running of 1,000')
    expect(p).toMatchObject({ done: 412, failed: 3, running: 10, total: 1000 })
  })
  it('leaves out the groups that are empty, but always says how many are done', () => {
    expect(progressText(nodeProgress('map', {}, count({ running: 10, pending: 90 }), own('waiting'), true)!)).toBe('0 done · 10 running of 100')
    expect(progressText(nodeProgress('map', {}, count({ completed: 7, cancelled: 3 }), own('failed'), true)!)).toBe('7 done · 3 cancelled of 10')
  })
  it('says when every item is done', () => {
    expect(progressText(nodeProgress('map', {}, count({ completed: 10000 }), own('completed'), true)!)).toBe('all 10,000 done')
  })
  it('does not count its own step as an item before its items exist', () => {
    expect(progressText(nodeProgress('map', {}, count({ waiting: 1 }), own('waiting'), false)!)).toBe('starting…')
    expect(progressText(nodeProgress('map', {}, count({ completed: 1 }), own('completed', { results: [], total: 0 }), false)!)).toBe('no items')
  })
  it('is nothing before the node is reached, and nothing for other node types', () => {
    expect(nodeProgress('map', {}, undefined, undefined, false)).toBeNull()
    expect(nodeProgress('task', {}, count({ completed: 1 }), own('completed'), false)).toBeNull()
  })
})

describe('a loop', () => {
  it('names the iteration it is on, out of its count', () => {
    const p = nodeProgress('loop', { count: 5, max_iterations: 10 }, count({ completed: 2, waiting: 1 }), own('waiting'), true)!
    expect(progressText(p)).toBe('iteration 3 of 5')
    expect(p).toMatchObject({ done: 2, running: 1, total: 5 })
  })
  it('names its maximum when a condition decides, without a bar', () => {
    const p = nodeProgress('loop', { while: 'x', max_iterations: 100 }, count({ completed: 2, waiting: 1 }), own('waiting'), true)!
    expect(progressText(p)).toBe('iteration 3 · max 100')
    expect(p.total).toBe(0)
  })
  it('says how many iterations it ran once it ended', () => {
    expect(progressText(nodeProgress('loop', { count: 4, max_iterations: 4 }, count({ completed: 4 }), own('completed', { iterations: 4 }), true)!)).toBe('4 iterations of 4')
    expect(progressText(nodeProgress('loop', { while: 'x', max_iterations: 9 }, undefined, own('completed', { iterations: 0 }), false)!)).toBe('0 iterations')
    expect(progressText(nodeProgress('loop', { while: 'x', max_iterations: 9 }, count({ completed: 1 }), own('completed', { iterations: 1 }), true)!)).toBe('1 iteration')
  })
})

describe('the items list', () => {
  it('offers All and the groups that hold items, with their counts', () => {
    const filters = itemFilters(tally({ completed: 412, failed: 3, running: 10, pending: 575 }))
    expect(filters.map((f) => [f.group, f.count])).toEqual([
      ['all', 1000],
      ['done', 412],
      ['failed', 3],
      ['running', 10],
      ['pending', 575],
    ])
    expect(filters.find((f) => f.group === 'running')!.statuses).toEqual(['scheduled', 'running', 'waiting'])
  })
  it('keeps the chosen group when it empties, so it can be left', () => {
    expect(itemFilters(tally({ completed: 3 }), 'failed').map((f) => f.group)).toEqual(['all', 'done', 'failed'])
  })
  it('asks the steps API for each item once, as it stands, in number order', () => {
    const q = new URLSearchParams(itemsQuery('fan out', ['failed', 'timed_out'], 50))
    expect(Object.fromEntries(q)).toMatchObject({ node: 'fan out', items: 'true', latest: 'true', order: 'item', limit: '50' })
    expect(q.getAll('status')).toEqual(['failed', 'timed_out'])
  })
  it('names a map item by its index and a loop iteration counting from one', () => {
    expect(itemName('map', '7')).toBe('Item 7')
    expect(itemName('loop', '2')).toBe('Iteration 3')
    expect(itemNumber('loop', '1999')).toBe('2,000')
    expect(itemNumber('map', '1999')).toBe('1999') // an index, as in the output's errors
    expect(formatCount(1234567)).toBe('1,234,567')
  })
})
