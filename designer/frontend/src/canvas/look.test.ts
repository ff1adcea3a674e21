import { describe, expect, it } from 'vitest'
import { STATUS_LABEL } from './look'

describe('status words', () => {
  it('gives each status its own word', () => {
    const words = Object.values(STATUS_LABEL)
    expect(new Set(words).size).toBe(words.length)
  })
  it('keeps "Skipped" for a path not taken and says a step the run never got to was not reached', () => {
    expect(STATUS_LABEL.skipped).toBe('Skipped')
    expect(STATUS_LABEL.not_run).toBe('Not reached')
  })
})
