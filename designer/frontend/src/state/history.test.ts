import { describe, expect, it } from 'vitest'
import { HISTORY_LIMIT, canRedo, canUndo, historyReducer, initHistory, type History } from './history'

const commit = (h: History<string>, doc: string, key: string | null = null, at = 0) => historyReducer(h, { type: 'commit', doc, key, at })

describe('undo/redo reducer', () => {
  it('undoes and redoes commits in order', () => {
    let h = initHistory('a')
    h = commit(h, 'b')
    h = commit(h, 'c')
    expect(h.present).toBe('c')
    h = historyReducer(h, { type: 'undo' })
    expect(h.present).toBe('b')
    h = historyReducer(h, { type: 'undo' })
    expect(h.present).toBe('a')
    expect(canUndo(h)).toBe(false)
    expect(historyReducer(h, { type: 'undo' })).toBe(h)
    h = historyReducer(h, { type: 'redo' })
    expect(h.present).toBe('b')
    expect(canRedo(h)).toBe(true)
  })

  it('drops the redo branch on a new commit', () => {
    let h = commit(commit(initHistory('a'), 'b'), 'c')
    h = historyReducer(h, { type: 'undo' })
    h = commit(h, 'x')
    expect(h.future).toEqual([])
    expect(h.past).toEqual(['a', 'b'])
  })

  it('ignores a commit equal to the present', () => {
    const h = initHistory({ n: 1 })
    const same = historyReducer(h, { type: 'commit', doc: { n: 1 }, at: 0 }, (a, b) => a.n === b.n)
    expect(same).toBe(h)
  })

  it('coalesces commits with the same key within a second into one undo step', () => {
    let h = initHistory('')
    h = commit(h, 'h', 'label', 0)
    h = commit(h, 'he', 'label', 400)
    h = commit(h, 'hel', 'label', 900)
    expect(h.past).toEqual([''])
    h = commit(h, 'hello', 'label', 3000) // a pause: a new step
    expect(h.past).toEqual(['', 'hel'])
    h = commit(h, 'hello!', 'other', 3100) // another field: a new step
    expect(h.past).toEqual(['', 'hel', 'hello'])
    h = historyReducer(h, { type: 'undo' })
    h = commit(h, 'x', 'other', 3200) // never coalesces into an undone state
    expect(h.past).toEqual(['', 'hel', 'hello'])
  })

  it('keeps a bounded past', () => {
    let h = initHistory(0 as unknown as string)
    for (let i = 1; i <= HISTORY_LIMIT + 10; i++) h = commit(h, String(i))
    expect(h.past.length).toBe(HISTORY_LIMIT)
    expect(h.present).toBe(String(HISTORY_LIMIT + 10))
  })

  it('resets to a fresh history', () => {
    const h = historyReducer(commit(initHistory('a'), 'b'), { type: 'reset', doc: 'z' })
    expect(h).toEqual(initHistory('z'))
  })
})
