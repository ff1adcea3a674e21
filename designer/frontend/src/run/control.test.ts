import { describe, expect, it } from 'vitest'
import { ROLE_REFUSED, controlReasons, controlRefusal, steerRefusal } from './control'

describe('controlRefusal', () => {
  it('allows cancelling a pending, running or paused instance and retrying a failed one', () => {
    for (const status of ['pending', 'running', 'paused']) expect(controlRefusal('cancel', status, true)).toBeNull()
    expect(controlRefusal('retry', 'failed', true)).toBeNull()
  })

  it('says why the state forbids it, in the words of the status badge', () => {
    expect(controlRefusal('cancel', 'completed', true)).toBe('It is completed: only a pending, running or paused instance can be cancelled.')
    expect(controlRefusal('retry', 'running', true)).toBe('It is running: only a failed instance can be retried.')
    expect(controlRefusal('cancel', 'failed', true)).toMatch(/^It is failed: /)
  })

  it('puts the role first: a reviewer is told it is for operators whatever the state', () => {
    expect(controlRefusal('retry', 'failed', false)).toBe(ROLE_REFUSED)
    expect(controlRefusal('cancel', 'running', false)).toBe(ROLE_REFUSED)
  })
})

describe('controlReasons', () => {
  it('says each reason once: one line for a reviewer, one for a finished instance', () => {
    expect(controlReasons('failed', false)).toEqual([ROLE_REFUSED])
    expect(controlReasons('completed', true)).toEqual(['It is completed: there is nothing to cancel or retry.'])
    expect(controlReasons('running', true)).toEqual(['It is running: only a failed instance can be retried.'])
    expect(controlReasons('failed', true)).toEqual(['It is failed: only a pending, running or paused instance can be cancelled.'])
  })
})

describe('steerRefusal', () => {
  it('pauses a running instance, resumes a paused one, signals an unfinished one', () => {
    expect(steerRefusal('pause', 'running', true)).toBeNull()
    expect(steerRefusal('resume', 'paused', true)).toBeNull()
    for (const status of ['pending', 'running', 'paused']) expect(steerRefusal('signal', status, true)).toBeNull()
  })
  it('says why not, the role first', () => {
    expect(steerRefusal('pause', 'paused', true)).toBe('It is paused: only a running instance can be paused.')
    expect(steerRefusal('resume', 'running', true)).toBe('It is running: only a paused instance can be resumed.')
    expect(steerRefusal('signal', 'completed', true)).toMatch(/^It is completed: signals go to/)
    expect(steerRefusal('pause', 'running', false)).toBe(ROLE_REFUSED)
  })
})
