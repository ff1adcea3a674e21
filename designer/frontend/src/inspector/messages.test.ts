import { describe, expect, it } from 'vitest'
import { bare, liveVerdict } from './messages'

describe('liveVerdict', () => {
  const bad = { valid: false, message: "unexpected end of expression at 'input.amount >'" }

  it('leaves out a failed check that the field errors already report', () => {
    const server = [bare(`config.expression: ${bad.message}`, 'config.expression')]
    expect(liveVerdict(bad, server)).toBeNull()
  })
  it('keeps a failed check that says something else', () => {
    expect(liveVerdict(bad, ['config.expression: a stale problem'])).toBe(bad)
    expect(liveVerdict(bad, [])).toBe(bad)
  })
  it('keeps a passed check', () => {
    const ok = { valid: true, message: null }
    expect(liveVerdict(ok, [''])).toBe(ok)
  })
})
