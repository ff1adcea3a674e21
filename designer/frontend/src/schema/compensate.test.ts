import { describe, expect, it } from 'vitest'
import type { Json } from '../graph/types'
import { NEW_POLICY, compensationHandler, ownsRetry, readCompensation, undoTag, withHandler, withOwnRetry } from './compensate'

const OWN = { handler: 'demo.release', retry: { max_attempts: 5, initial_s: 0.2 } }

describe('reading a compensation', () => {
  it('reads a name and the object form alike', () => {
    expect(readCompensation('demo.release')).toEqual({ handler: 'demo.release' })
    expect(readCompensation(OWN)).toEqual(OWN)
    expect(readCompensation({ handler: 'demo.release' })).toEqual({ handler: 'demo.release' })
  })
  it('finds no compensation without a handler', () => {
    for (const v of [undefined, '', null, 3, [], { retry: {} }, { handler: '' }] as (Json | undefined)[]) expect(readCompensation(v)).toBeNull()
  })
  it('shows the handler of an object the server would reject, so the picker is never blank while one is named', () => {
    expect(compensationHandler({ handler: 'demo.release', extra: 1 })).toBe('demo.release')
    expect(compensationHandler(undefined)).toBe('')
  })
})

describe('editing a compensation', () => {
  it('keeps the own policy when another handler is chosen', () => {
    expect(withHandler(OWN, 'demo.undo')).toEqual({ ...OWN, handler: 'demo.undo' })
    expect(withHandler('demo.release', 'demo.undo')).toBe('demo.undo')
    expect(withHandler(undefined, 'demo.undo')).toBe('demo.undo')
  })
  it('removes the compensation and its policy when None is chosen', () => {
    expect(withHandler(OWN, undefined)).toBeUndefined()
    expect(withHandler('demo.release', '')).toBeUndefined()
  })
  it('switches to the object form with a new policy, or the one switched off before', () => {
    expect(withOwnRetry('demo.release', true)).toEqual({ handler: 'demo.release', retry: NEW_POLICY })
    expect(withOwnRetry('demo.release', true, OWN.retry)).toEqual(OWN)
    expect(withOwnRetry(OWN, true)).toBe(OWN)
    expect(ownsRetry(withOwnRetry('demo.release', true))).toBe(true)
  })
  it('switches back to the plain name, keeping the handler', () => {
    expect(withOwnRetry(OWN, false)).toBe('demo.release')
    expect(withOwnRetry('demo.release', false)).toBe('demo.release')
  })
  it('does nothing to the policy while no handler is named', () => {
    expect(withOwnRetry(undefined, true)).toBeUndefined()
  })
  it('round-trips: on then off gives the name back, off then on the same policy', () => {
    const handlers = ['a', 'demo.release', 'x.y_z']
    for (const h of handlers) {
      expect(withOwnRetry(withOwnRetry(h, true), false)).toBe(h)
      const own = { handler: h, retry: { max_attempts: 7 } }
      expect(withOwnRetry(withOwnRetry(own, false), true, own.retry)).toEqual(own)
    }
  })
})

describe('the undo tag', () => {
  it('says which handler undoes the step', () => {
    expect(undoTag('demo.release')).toBe('undo: demo.release')
    expect(undoTag(OWN)).toBe('undo: demo.release')
    expect(undoTag(undefined)).toBe('')
  })
})
