import { describe, expect, it } from 'vitest'
import { bare, compensationMessage, liveVerdict, plainest, standing } from './messages'

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

describe('plainest: JSON Schema wording only where nothing says it in words', () => {
  const pattern = { field: 'config.name', message: "config.name: 'has space' does not match '^[A-Za-z0-9_.:-]{1,100}$'" }
  const words = { field: 'config.name', message: 'config.name: letters, digits and _ . : - only, at most 100' }
  it('drops the pattern when the same field has the words', () => {
    expect(plainest([pattern, words])).toEqual([words])
  })
  it("keeps the schema's wording when it is all there is, or on another field", () => {
    expect(plainest([pattern])).toEqual([pattern])
    const other = { field: 'config.timeout_s', message: 'config.timeout_s: -1 is less than or equal to the minimum of 0' }
    expect(plainest([pattern, other])).toEqual([pattern, other])
  })
  it('says an empty query once', () => {
    const empty = { field: 'settings.queries.q', message: "settings.queries.q: '' should be non-empty" }
    const expr = { field: 'settings.queries.q', message: 'settings.queries.q: the expression is empty' }
    expect(plainest([empty, expr])).toEqual([expr])
  })
})

describe('compensationMessage', () => {
  it("says what a compensation needs instead of the oneOf's verdict", () => {
    expect(compensationMessage("{'retry': {}} is not valid under any of the given schemas")).toMatch(/needs a handler/)
    expect(compensationMessage("no handler named 'x' is registered")).toBe("no handler named 'x' is registered")
  })
})
