/**
 * Undo/redo as a pure reducer over committed documents. A commit with the same `key` as the one
 * before, within `coalesceMs`, replaces it (typing in one field is one undo step, not one per
 * keystroke). A commit equal to the present is ignored.
 */

export interface History<T> {
  past: T[]
  present: T
  future: T[]
  lastKey: string | null
  lastAt: number
}

export type HistoryAction<T> =
  | { type: 'commit'; doc: T; key?: string | null; at: number }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'reset'; doc: T }

export const HISTORY_LIMIT = 200
export const COALESCE_MS = 1000

export function initHistory<T>(doc: T): History<T> {
  return { past: [], present: doc, future: [], lastKey: null, lastAt: 0 }
}

export function historyReducer<T>(
  h: History<T>,
  action: HistoryAction<T>,
  equals: (a: T, b: T) => boolean = Object.is,
): History<T> {
  switch (action.type) {
    case 'commit': {
      if (equals(h.present, action.doc)) return h
      const key = action.key ?? null
      const coalesce = key !== null && key === h.lastKey && action.at - h.lastAt <= COALESCE_MS && h.future.length === 0
      if (coalesce) return { ...h, present: action.doc, lastAt: action.at }
      const past = [...h.past, h.present]
      if (past.length > HISTORY_LIMIT) past.splice(0, past.length - HISTORY_LIMIT)
      return { past, present: action.doc, future: [], lastKey: key, lastAt: action.at }
    }
    case 'undo': {
      if (h.past.length === 0) return h
      const past = h.past.slice(0, -1)
      return { past, present: h.past[h.past.length - 1], future: [h.present, ...h.future], lastKey: null, lastAt: 0 }
    }
    case 'redo': {
      if (h.future.length === 0) return h
      const [next, ...future] = h.future
      return { past: [...h.past, h.present], present: next, future, lastKey: null, lastAt: 0 }
    }
    case 'reset':
      return initHistory(action.doc)
  }
}

export const canUndo = (h: History<unknown>) => h.past.length > 0
export const canRedo = (h: History<unknown>) => h.future.length > 0
