import { describe, expect, it } from 'vitest'
import { formatTime, formatWhen } from './when'

describe('dates', () => {
  const moment = new Date(2026, 10, 30, 3, 41, 7) // local time

  it('writes a date one way, whatever the locale', () => {
    expect(formatWhen(moment)).toBe('2026-11-30 03:41')
    expect(formatWhen(moment.toISOString())).toBe('2026-11-30 03:41')
    expect(formatWhen(moment.getTime())).toBe('2026-11-30 03:41')
  })
  it('writes a time of day on a 24-hour clock', () => {
    expect(formatTime(moment)).toBe('03:41:07')
  })
  it('leaves what is not a date as it is', () => {
    expect(formatWhen(null)).toBe('')
    expect(formatWhen('soon')).toBe('soon')
  })
})
