import { describe, expect, it } from 'vitest'
import type { StepRun } from '../api/types'
import { attemptName, attemptTimings, attemptsInOrder, chooseAttempt, downloadName, momentText } from './attempt'

const run = (id: number, attempt: number, status: string, extra: Partial<StepRun> = {}): StepRun => ({
  id,
  node: 'charge',
  type: 'task',
  attempt,
  status,
  output: null,
  error: null,
  scheduled_at: '2026-11-30T10:00:00Z',
  started_at: '2026-11-30T10:00:01Z',
  finished_at: '2026-11-30T10:00:03Z',
  duration_ms: 2000,
  ...extra,
})

describe('choosing the attempt', () => {
  const attempts = [run(7, 1, 'failed'), run(9, 2, 'failed'), run(12, 3, 'running', { finished_at: null, duration_ms: null })]

  it('shows the latest attempt unless one was chosen', () => {
    expect(chooseAttempt(attempts, null)?.id).toBe(12)
    expect(chooseAttempt(attempts, 9)?.id).toBe(9)
  })
  it('falls back to the latest when the chosen attempt is not one of this step', () => {
    expect(chooseAttempt(attempts, 999)?.id).toBe(12)
    expect(chooseAttempt([], 9)).toBeUndefined()
  })
  it('lists attempts in the order the engine created them', () => {
    expect(attemptsInOrder([attempts[2], attempts[0], attempts[1]]).map((a) => a.id)).toEqual([7, 9, 12])
  })
  it('names an attempt by its number, and by its item in a fan-out', () => {
    expect(attemptName(attempts[1])).toBe('#2')
    expect(attemptName({ attempt: 1, item_key: 'a.pdf' })).toBe('a.pdf #1')
  })
})

describe('timings', () => {
  const now = Date.parse('2026-11-30T10:00:06Z')

  it('gives the time queued and the time run of a finished attempt', () => {
    expect(attemptTimings(run(1, 1, 'completed'), now)).toEqual({ queuedMs: 1000, ranMs: 2000, live: false })
  })
  it('counts a running attempt up to now', () => {
    const running = run(1, 1, 'running', { finished_at: null, duration_ms: null })
    expect(attemptTimings(running, now)).toEqual({ queuedMs: 1000, ranMs: 5000, live: true })
    expect(attemptTimings(running, now + 1000).ranMs).toBe(6000)
  })
  it('counts a queued attempt as queued until now, not yet run', () => {
    const queued = run(1, 2, 'scheduled', { started_at: null, finished_at: null, duration_ms: null })
    expect(attemptTimings(queued, now)).toEqual({ queuedMs: 6000, ranMs: null, live: true })
  })
  it('never shows a negative time when the browser clock is behind', () => {
    const running = run(1, 1, 'running', { finished_at: null, duration_ms: null })
    expect(attemptTimings(running, Date.parse('2026-11-30T09:59:00Z')).ranMs).toBe(0)
  })
  it('does not count on for an attempt that ended without starting', () => {
    const cancelled = run(1, 1, 'cancelled', { started_at: null, finished_at: null, duration_ms: null })
    expect(attemptTimings(cancelled, now)).toEqual({ queuedMs: null, ranMs: null, live: false })
  })
  it('writes a moment as the time of day on the day it was scheduled, else with its date', () => {
    const at = new Date(2026, 10, 30, 10, 0, 1)
    expect(momentText(at.toISOString(), new Date(2026, 10, 30, 9, 0).toISOString())).toBe('10:00:01')
    expect(momentText(at.toISOString(), new Date(2026, 10, 29, 23, 0).toISOString())).toBe('2026-11-30 10:00')
    expect(momentText(null, at.toISOString())).toBe('')
  })
})

describe('download names', () => {
  it('names the file after the instance, the step and the attempt', () => {
    expect(downloadName('3f2a', run(1, 2, 'failed'), 'output')).toBe('3f2a-charge-attempt-2-output.json')
  })
  it('keeps an item key and odd ids to characters every file system takes', () => {
    expect(downloadName('3f2a', { node: '../x y', attempt: 1, item_key: 'a/b.pdf' }, 'input')).toBe('3f2a-.._x_y-a_b.pdf-attempt-1-input.json')
  })
})
