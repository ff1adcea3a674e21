/** The run and test-run forms' input parsing (pure). */
import type { Mock } from '../api/types'
import { isPlainObject, objectOf } from '../graph/json'
import type { Json } from '../graph/types'

/** Parse the input box: a JSON object, or the reason it is not one. */
export function parseInputObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (text.trim() === '') return { value: {} }
  try {
    const v = JSON.parse(text)
    return isPlainObject(v) ? { value: v } : { error: 'the input must be a JSON object, like {"key": "value"}' }
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` }
  }
}

export interface MockDraft {
  mode: 'real' | 'output' | 'fail'
  output: string
  type: string
  message: string
}

export const NEW_MOCK: MockDraft = { mode: 'real', output: '{}', type: 'MockError', message: 'mocked failure' }

/** Build the `mocks` of a test run (by node id: see `objectOf`) from the form, or say which one is wrong. */
export function buildMocks(drafts: ReadonlyMap<string, MockDraft>): { mocks: Record<string, Mock>; error?: string } {
  const mocks: [string, Mock][] = []
  for (const [id, d] of drafts) {
    if (d.mode === 'output') {
      try {
        mocks.push([id, { output: JSON.parse(d.output || 'null') as Json }])
      } catch (e) {
        return { mocks: objectOf(mocks), error: `the mocked output of ${id} is not valid JSON: ${(e as Error).message}` }
      }
    } else if (d.mode === 'fail') {
      mocks.push([id, { fail: { type: d.type.trim() || 'MockError', message: d.message } }])
    }
  }
  return { mocks: objectOf(mocks) }
}
