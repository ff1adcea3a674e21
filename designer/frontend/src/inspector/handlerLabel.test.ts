import { describe, expect, it } from 'vitest'
import { handlerLabel } from './handlerLabel'

describe('handlerLabel', () => {
  it('names the handler and says what it does', () => {
    expect(handlerLabel({ name: 'demo.noop', description: 'Returns its input unchanged.' })).toBe('demo.noop — Returns its input unchanged.')
  })
  it('keeps the first line only, and short', () => {
    const label = handlerLabel({ name: 'demo.long', description: `${'x'.repeat(200)}\nsecond line` })
    expect(label.length).toBe(72)
    expect(label.endsWith('…')).toBe(true)
    expect(label).not.toContain('second line')
  })
  it('leaves out docstring literal marks', () => {
    expect(handlerLabel({ name: 'demo.rules', description: 'at most ``max_hours`` a week' })).toBe('demo.rules — at most max_hours a week')
  })
  it('is the bare name without a description', () => {
    expect(handlerLabel({ name: 'demo.quiet', description: '' })).toBe('demo.quiet')
  })
})
