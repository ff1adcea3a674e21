/**
 * Autosave of the draft with optimistic concurrency, and a local backup so a failed save
 * (offline, conflict, refused) never loses the analyst's work.
 *
 * - Every change is backed up in localStorage (per template) until the server has it.
 * - The draft is saved ~1 s after the last change, on blur / tab hidden, and on unload.
 * - A PUT sends the revision it started from; a 409 stops autosaving and shows the conflict
 *   banner; the local graph is kept as it is.
 */
import { ApiError, NetworkError, errorMessage, get as apiGet, put, enc } from '../api/client'
import type { Draft } from '../api/types'
import { docToFlow, flowToDoc } from '../graph/convert'
import { pretty } from '../graph/json'
import type { GraphV1 } from '../graph/types'
import { loadDoc, setDialog, setSave, toast, useEditor } from '../state/store'
import { validateNow } from '../validation/validator'
import { draftChanged } from './publishOffer'

const SAVE_DELAY_MS = 1000
const RETRY_MAX_MS = 30_000

let lastSavedText: string | null = null
let saveTimer: number | undefined
let retryTimer: number | undefined
let retryDelay = 0
let inflight: Promise<boolean> | null = null
let again = false
/** Whether the server takes `revision` in a draft PUT (older servers refuse unknown fields). */
let sendRevision = true

const state = useEditor.getState
const templateName = () => state().boot.template
const backupKey = () => `flowdesk.draft.${templateName()}`
const presentText = () => JSON.stringify(state().history.present)

/** The graph as the editor will hold it (normalised through the canvas model). */
export const normalise = (graph: GraphV1): GraphV1 => {
  const flow = docToFlow(graph)
  return flowToDoc(flow.nodes, flow.edges, flow.settings, flow.extras)
}

export interface StoredBackup {
  graph: GraphV1
  savedAt: number
  baseRevision: number | null | undefined
  user: string
}

export function readBackup(): StoredBackup | null {
  try {
    const raw = localStorage.getItem(backupKey())
    if (!raw) return null
    const data = JSON.parse(raw) as StoredBackup
    return data && data.graph && Array.isArray(data.graph.nodes) ? data : null
  } catch {
    return null
  }
}

function writeBackup() {
  const s = state()
  try {
    const data: StoredBackup = { graph: s.history.present, savedAt: Date.now(), baseRevision: s.save.revision, user: s.boot.user }
    localStorage.setItem(backupKey(), JSON.stringify(data))
  } catch {
    /* storage full or disabled: nothing more we can do here */
  }
}

export function clearBackup() {
  try {
    localStorage.removeItem(backupKey())
  } catch {
    /* no storage */
  }
}

/** After loading: what the server has, and whether a backup of unsaved work is waiting. */
export function initPersistence(serverGraph: GraphV1, draft: Draft | null) {
  lastSavedText = JSON.stringify(normalise(serverGraph))
  if (draft && !('revision' in draft)) sendRevision = false
  const s = state()
  setSave({
    status: s.readOnly ? 'readonly' : 'saved',
    revision: draft ? draft.revision : null,
    hasDraft: !!draft,
    changed: draftChanged(draft, s.template?.latest_version),
    lastSavedAt: draft ? Date.parse(draft.updated_at) || null : null,
  })
  if (s.readOnly) return
  const backup = readBackup()
  if (backup && JSON.stringify(normalise(backup.graph)) !== lastSavedText) {
    useEditor.setState({ restoreOffer: { graph: backup.graph, savedAt: backup.savedAt } })
  } else if (backup) {
    clearBackup()
  }
}

export function isDirty(): boolean {
  return lastSavedText !== null && presentText() !== lastSavedText
}

/** Called on every document change. */
export function onDocChanged() {
  const s = state()
  if (!s.loaded || s.readOnly || s.boot.mode !== 'edit' || lastSavedText === null) return
  if (!isDirty()) {
    if (s.save.status === 'dirty') setSave({ status: 'saved' })
    window.clearTimeout(saveTimer)
    clearBackup()
    return
  }
  writeBackup()
  if (s.save.status === 'conflict') return
  if (s.save.status !== 'saving' && s.save.status !== 'offline') setSave({ status: 'dirty' })
  window.clearTimeout(saveTimer)
  saveTimer = window.setTimeout(() => void saveNow(), SAVE_DELAY_MS)
}

/** Save now if there is anything to save. Resolves true when the server has the current graph. */
export function saveNow({ keepalive = false, force = false }: { keepalive?: boolean; force?: boolean } = {}): Promise<boolean> {
  window.clearTimeout(saveTimer)
  if (inflight) return inflight.then(() => (isDirty() || force ? saveNow({ keepalive, force }) : true))
  const s = state()
  if (s.readOnly || s.boot.mode !== 'edit' || lastSavedText === null) return Promise.resolve(!s.readOnly)
  if (s.save.status === 'conflict') return Promise.resolve(false)
  const doc = s.history.present
  const text = JSON.stringify(doc)
  if (text === lastSavedText && !(force && !s.save.hasDraft)) {
    setSave({ status: 'saved' })
    return Promise.resolve(true)
  }
  window.clearTimeout(retryTimer)
  setSave({ status: 'saving' })
  inflight = (async () => {
    try {
      const body: Record<string, unknown> = { graph: doc }
      if (sendRevision) body.revision = s.save.revision ?? null
      const res = await put<Draft>(`templates/${enc(templateName())}/draft/`, body, { keepalive })
      lastSavedText = text
      retryDelay = 0
      setSave({
        revision: 'revision' in res ? res.revision : undefined,
        hasDraft: true,
        changed: draftChanged(res, state().template?.latest_version),
        lastSavedAt: Date.parse(res.updated_at) || Date.now(),
        message: null,
        status: 'saved',
      })
      if (!('revision' in res)) sendRevision = false
      if (state().validation.status === 'error') void validateNow(true) // back online: check again
      if (isDirty()) {
        setSave({ status: 'dirty' })
        writeBackup()
        again = true
      } else {
        clearBackup()
      }
      return true
    } catch (e) {
      return saveFailed(e)
    } finally {
      inflight = null
      if (again) {
        again = false
        if (isDirty() && state().save.status === 'dirty') saveTimer = window.setTimeout(() => void saveNow(), 0)
      }
    }
  })()
  return inflight
}

function saveFailed(e: unknown): boolean {
  writeBackup()
  if (e instanceof ApiError && e.status === 409 && (e.code === 'conflict' || 'current' in e.body)) {
    const current = (e.body.current ?? null) as { revision: number | null; updated_at: string | null; updated_by: string | null } | null
    setSave({ status: 'conflict', conflict: current ?? { revision: null, updated_at: null, updated_by: null }, message: e.message })
    return false
  }
  if (e instanceof ApiError && e.status === 400 && sendRevision && e.errors.some((x) => x.field === 'revision')) {
    sendRevision = false // a server without optimistic concurrency: save without it
    setSave({ status: 'dirty' })
    again = true
    return false
  }
  if (e instanceof NetworkError || (e instanceof ApiError && (e.status >= 500 || e.status === 429 || e.status === 408))) {
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, RETRY_MAX_MS)
    const why = e instanceof ApiError ? `the server answered ${e.status}` : 'cannot reach the server'
    setSave({ status: 'offline', message: `${why}; retrying in ${Math.round(retryDelay / 1000)} s` })
    window.clearTimeout(retryTimer)
    retryTimer = window.setTimeout(() => void saveNow(), retryDelay)
    return false
  }
  setSave({ status: 'error', message: errorMessage(e) })
  return false
}

/** Conflict: take the other person's draft (an undoable change: undo brings back yours). */
export async function reloadTheirs() {
  try {
    const draft = await apiGet<Draft>(`templates/${enc(templateName())}/draft/`)
    lastSavedText = JSON.stringify(normalise(draft.graph))
    setSave({ status: 'saved', conflict: null, message: null, revision: draft.revision, hasDraft: true, changed: draftChanged(draft, state().template?.latest_version), lastSavedAt: Date.parse(draft.updated_at) || null })
    loadDoc(draft.graph)
    toast('Loaded the latest draft. Undo (Ctrl+Z) brings back your version.', 'info')
  } catch (e) {
    toast(`Could not load the draft: ${errorMessage(e)}`, 'error')
  }
}

/** Conflict: save yours over theirs (after the analyst has seen the banner). */
export function overwriteWithMine() {
  const conflict = state().save.conflict
  setSave({ status: 'dirty', conflict: null, message: null, revision: conflict?.revision ?? state().save.revision })
  void saveNow()
}

export async function copyMyGraph() {
  const text = pretty(state().history.present)
  try {
    await navigator.clipboard.writeText(text)
    toast('Your graph is on the clipboard as JSON.', 'success')
  } catch {
    setDialog('copy-graph')
  }
}

/** Restore the unsaved work found in this browser (an undoable change, then saved as usual). */
export function restoreBackup() {
  const offer = state().restoreOffer
  useEditor.setState({ restoreOffer: null })
  if (offer) {
    loadDoc(offer.graph)
    toast('Restored your unsaved changes.', 'success')
  }
}

export function discardBackup() {
  useEditor.setState({ restoreOffer: null })
  clearBackup()
}

/** The server has no draft any more (it was just published): the next change starts one. */
export function draftPublished(graph: GraphV1) {
  lastSavedText = JSON.stringify(normalise(graph))
  setSave({ hasDraft: false, changed: false, revision: null, status: isDirty() ? 'dirty' : 'saved' })
}

/** Save when the analyst leaves the tab or the page; warn before closing with unsaved work. */
export function installLifecycle() {
  const flush = () => {
    if (isDirty()) void saveNow()
  }
  window.addEventListener('blur', flush)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush()
  })
  window.addEventListener('beforeunload', (event) => {
    if (!isDirty() || state().readOnly) return
    writeBackup()
    const status = state().save.status
    if (!inflight && status !== 'conflict') void saveNow({ keepalive: true }) // a keepalive request outlives the page
    // ask before leaving only when the work cannot reach the server (it stays in this browser anyway)
    if (status === 'offline' || status === 'error' || status === 'conflict') {
      event.preventDefault()
      event.returnValue = ''
    }
  })
}
