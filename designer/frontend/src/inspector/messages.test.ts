import { describe, expect, it } from 'vitest'
import { bare, liveVerdict, standing } from './messages'

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

describe('standing: what the server said that may still hold', () => {
  const missing = { field: 'config.workflow', message: "config: 'workflow' is a required property" }
  const unknown = { field: 'config.workflow', message: "no published template named 'ghost'" }

  it('drops a missing-value error once the field holds a value, before the server checks again', () => {
    expect(standing([missing], 'config.workflow', 'resize-image')).toEqual([])
    expect(standing([missing, unknown], 'config.workflow', 'ghost')).toEqual([unknown])
  })
  it('keeps it while the field is still empty', () => {
    expect(standing([missing], 'config.workflow', undefined)).toEqual([missing])
  })
  it("keeps a missing value inside the field's value: a list item or a nested object is not answered by the list", () => {
    const item = { field: 'config.cases.0.name', message: "config.cases.0: 'name' is a required property" }
    expect(standing([item], 'config.cases', [{}])).toEqual([item])
  })
  it('keeps every other error: only the server judges a new value', () => {
    const low = { field: 'config.count', message: 'config.count: 0 is less than the minimum of 1' }
    expect(standing([low], 'config.count', 3)).toEqual([low])
  })
})
