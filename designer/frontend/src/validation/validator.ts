/**
 * Validation as the analyst edits: the server checks the graph ~500 ms after the last change
 * (never on drag frames: only committed changes count, and moving a node changes nothing the
 * server checks, so it is not sent again).
 */
import { ApiError, errorMessage, post, enc } from '../api/client'
import type { ValidationResult } from '../api/types'
import type { GraphV1 } from '../graph/types'
import { setValidation, setValidationStatus, useEditor } from '../state/store'

const DELAY_MS = 500
let timer: number | undefined
let controller: AbortController | null = null
let lastKey = ''

/** What validation depends on: everything but positions. */
function checkKey(doc: GraphV1): string {
  return JSON.stringify({ ...doc, nodes: doc.nodes.map(({ position: _p, ...rest }) => rest) })
}

export function onDocChangedValidate() {
  const s = useEditor.getState()
  if (!s.loaded || s.boot.mode !== 'edit') return
  if (checkKey(s.history.present) === lastKey) return
  window.clearTimeout(timer)
  timer = window.setTimeout(() => void validateNow(), DELAY_MS)
}

/** Validate the current graph now (`force`: even if unchanged since the last check). */
export async function validateNow(force = false): Promise<ValidationResult | null> {
  window.clearTimeout(timer)
  const s = useEditor.getState()
  const doc = s.history.present
  const key = checkKey(doc)
  if (!force && key === lastKey && s.validation.status !== 'error') return null
  controller?.abort()
  const mine = (controller = new AbortController())
  setValidationStatus('checking', s.validation.message)
  try {
    const result = await post<ValidationResult>(`templates/${enc(s.boot.template)}/validate/`, { graph: doc }, { signal: mine.signal })
    if (mine !== controller) return null
    lastKey = key
    setValidation(result, doc)
    return result
  } catch (e) {
    if ((e as Error).name === 'AbortError' || mine !== controller) return null
    const message = e instanceof ApiError && e.status === 403 ? 'checking needs the analyst role' : `could not check: ${errorMessage(e)}`
    setValidationStatus('error', message)
    return null
  } finally {
    if (mine === controller) controller = null
  }
}
