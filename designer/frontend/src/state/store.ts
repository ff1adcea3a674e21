/**
 * The designer's state: the document being edited (as React Flow nodes and edges), its undo
 * history, and what is drawn over it (validation, plan, a comparison, a run). Components read
 * slices with selectors, so dragging one node re-renders that node, not the whole designer.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from '@xyflow/react'
import { create } from 'zustand'
import type { ApiFieldError, ConflictCurrent, Handler, TemplateInfo, VersionInfo } from '../api/types'
import { clipFromText, clipToText, copySelection, pasteClip, type Clip } from '../graph/clipboard'
import { connectionProblem, type ConnNode } from '../graph/connection'
import { docToFlow, flowToDoc, mergeEdges, mergeNodes, toFlowEdge, toFlowNode, type FlowDoc, type PortEdge, type StepNode } from '../graph/convert'
import type { GraphDiff } from '../graph/diff'
import { NODE_ID_RE, idPrefix, nextEdgeId, nextId } from '../graph/ids'
import { portSource } from '../graph/ports'
import type { Config, GraphSettings, GraphV1, Json, StepTypeDef } from '../graph/types'
import { emptyGraph } from '../graph/types'
import type { RunView } from '../run/status'
import { preciseField, setAt } from '../schema/form'
import type { Boot } from './boot'
import { canRedo, canUndo, historyReducer, initHistory, type History } from './history'

export type SaveStatus = 'loading' | 'saved' | 'dirty' | 'saving' | 'offline' | 'conflict' | 'error' | 'readonly'
export type RightTab = 'inspector' | 'versions' | 'test' | 'schedules' | 'run' | 'history'
export type Dialog = null | 'publish' | 'run' | 'help' | 'copy-graph'

/*
 * Node and edge ids are free text, as the server accepts them: `__proto__`, `constructor` and
 * `toString` are ids like any other. Everything keyed by an id is therefore a Map, never a plain
 * object (where such ids read or replace what every object inherits).
 */

export interface ValidationState {
  status: 'idle' | 'checking' | 'valid' | 'invalid' | 'error'
  errors: ApiFieldError[]
  /** Each error under the one node it is listed for (its `node`, else the first of its `nodes`). */
  byNode: ReadonlyMap<string, ApiFieldError[]>
  /** Errors that name a node among their `nodes` but are listed under another (a cycle's other nodes). */
  mentions: ReadonlyMap<string, ApiFieldError[]>
  graphErrors: ApiFieldError[]
  /** By edge id. */
  edgeErrors: ReadonlyMap<string, string>
  plan: string[][] | null
  batchOf: ReadonlyMap<string, number>
  message: string | null
}

export interface SaveState {
  status: SaveStatus
  /** The draft's revision; null: no draft yet; undefined: the server does not report revisions. */
  revision: number | null | undefined
  message: string | null
  conflict: ConflictCurrent | null
  lastSavedAt: number | null
  hasDraft: boolean
  /** The saved draft behaves differently from the latest published version ("+ draft"). */
  changed: boolean
}

export interface CompareView {
  fromLabel: string
  toLabel: string
  diff: GraphDiff
  nodes: StepNode[]
  edges: PortEdge[]
  edgeStatus: ReadonlyMap<string, 'added' | 'removed' | 'unchanged'>
  edgePorts: ReadonlyMap<string, string>
}

export interface Toast {
  id: number
  kind: 'info' | 'error' | 'success'
  text: string
}

export interface RestoreOffer {
  graph: GraphV1
  savedAt: number
}

export interface ChildTemplates {
  status: 'idle' | 'loading' | 'loaded' | 'error'
  list: TemplateInfo[]
  message: string | null
}

/** One template's published versions, for the version picker of the steps that start it. */
export interface ChildVersions {
  status: 'loading' | 'loaded' | 'error'
  /** Newest first. */
  list: VersionInfo[]
  message: string | null
}

export interface EditorState {
  boot: Boot
  loaded: boolean
  loadError: string | null
  types: Record<string, StepTypeDef>
  typeList: StepTypeDef[]
  handlers: Handler[]
  template: TemplateInfo | null
  /** The published templates a child workflow may name, for the template picker (loaded on first use). */
  childTemplates: ChildTemplates
  /** The published versions of child templates, by name (loaded when a step names one). */
  childVersions: Readonly<Record<string, ChildVersions>>

  nodes: StepNode[]
  edges: PortEdge[]
  settings: GraphSettings
  extras: FlowDoc['extras']
  /** Ports used by each node's outgoing edges ("a\u0000b"), by node id: drawn even when the config lost them. */
  edgePorts: ReadonlyMap<string, string>
  selectedIds: string[]
  history: History<GraphV1>
  /** Bumped on every change of the document (commit, undo, redo, load). */
  docVersion: number
  readOnly: boolean

  validation: ValidationState
  showPlan: boolean
  save: SaveState
  restoreOffer: RestoreOffer | null
  compare: CompareView | null
  run: RunView | null
  runSelected: string | null
  /** The attempt shown in the step drawer (a StepRun id), or null for the node's latest attempt. */
  runAttempt: number | null
  runError: string | null
  /** How an unfinished run is followed: live over a socket, or polled while the socket is down. */
  runLive: 'socket' | 'polling' | null

  rightTab: RightTab
  problemsOpen: boolean
  dialog: Dialog
  toasts: Toast[]
  layoutBusy: boolean
  clipboard: Clip | null
  pasteCount: number
  /** A node to select and centre on the canvas (the canvas consumes it). */
  focus: { id: string; n: number } | null
}

const emptyValidation = (): ValidationState => ({
  status: 'idle',
  errors: [],
  byNode: new Map(),
  mentions: new Map(),
  graphErrors: [],
  edgeErrors: new Map(),
  plan: null,
  batchOf: new Map(),
  message: null,
})

/** The ports each node's outgoing edges leave from, by node id ("\u0000"-joined: one string compares cheaply). */
export function edgePortsOf(edges: readonly PortEdge[]): Map<string, string> {
  const sets = new Map<string, Set<string>>()
  for (const e of edges) (sets.get(e.source) ?? sets.set(e.source, new Set()).get(e.source)!).add(e.sourceHandle ?? 'out')
  return new Map([...sets].map(([id, ports]) => [id, [...ports].join('\u0000')]))
}

const labelCache = new WeakMap<readonly StepNode[], Map<string, string>>()
/** Node labels by id, built once per nodes array (cheap lookups from many components). */
export function labelIndex(nodes: readonly StepNode[]): Map<string, string> {
  let index = labelCache.get(nodes)
  if (!index) {
    index = new Map(nodes.map((n) => [n.id, n.data.label || n.id]))
    labelCache.set(nodes, index)
  }
  return index
}

/** A node's label (its id when it has none), re-rendering only when that label changes. */
export const useNodeLabel = (id: string) => useEditor((s) => labelIndex(s.compare ? s.compare.nodes : s.nodes).get(id) ?? id)

const sameDoc = (a: GraphV1, b: GraphV1) => a === b || JSON.stringify(a) === JSON.stringify(b)

export const useEditor = create<EditorState>(() => ({
  boot: { mode: 'edit', template: '', instance: '', canEdit: false, canRun: false, canSchedule: false, user: '', home: '/designer/' },
  loaded: false,
  loadError: null,
  types: {},
  typeList: [],
  handlers: [],
  template: null,
  childTemplates: { status: 'idle', list: [], message: null },
  childVersions: {},
  nodes: [],
  edges: [],
  settings: {},
  extras: {},
  edgePorts: new Map(),
  selectedIds: [],
  history: initHistory(emptyGraph()),
  docVersion: 0,
  readOnly: true,
  validation: emptyValidation(),
  showPlan: false,
  save: { status: 'loading', revision: undefined, message: null, conflict: null, lastSavedAt: null, hasDraft: false, changed: false },
  restoreOffer: null,
  compare: null,
  run: null,
  runSelected: null,
  runAttempt: null,
  runError: null,
  runLive: null,
  rightTab: 'inspector',
  problemsOpen: false,
  dialog: null,
  toasts: [],
  layoutBusy: false,
  clipboard: null,
  pasteCount: 0,
  focus: null,
}))

const get = useEditor.getState
const set = useEditor.setState

// --- document ------------------------------------------------------------------------------------

/** The document as graph JSON v1 (what is saved). */
export const currentDoc = (): GraphV1 => {
  const s = get()
  return flowToDoc(s.nodes, s.edges, s.settings, s.extras)
}

/** Replace the document. `reset` starts a fresh history (first load); otherwise it is an undoable change. */
export function loadDoc(doc: GraphV1, { reset = false }: { reset?: boolean } = {}) {
  const flow = docToFlow(doc)
  const s = get()
  const nodes = reset ? flow.nodes : mergeNodes(s.nodes, doc)
  const edges = reset ? flow.edges : mergeEdges(s.edges, doc)
  set({
    nodes,
    edges,
    edgePorts: edgePortsOf(edges),
    settings: flow.settings,
    extras: flow.extras,
    selectedIds: nodes.filter((n) => n.selected).map((n) => n.id),
  })
  if (reset) {
    set({ history: initHistory(currentDoc()), docVersion: s.docVersion + 1 })
  } else {
    commit()
  }
  return flow
}

/** Record the current document as one undo step (same `key` within a second: the same step). */
export function commit(key: string | null = null) {
  const s = get()
  const doc = flowToDoc(s.nodes, s.edges, s.settings, s.extras)
  const history = historyReducer(s.history, { type: 'commit', doc, key, at: Date.now() }, sameDoc)
  if (history !== s.history) set({ history, docVersion: s.docVersion + 1 })
}

let commitQueued = false
/** Commit once after the current event (React Flow reports a delete as node and edge changes). */
function commitSoon() {
  if (commitQueued) return
  commitQueued = true
  queueMicrotask(() => {
    commitQueued = false
    commit()
  })
}

function restore(history: History<GraphV1>) {
  const s = get()
  const doc = history.present
  const nodes = mergeNodes(s.nodes, doc)
  const edges = mergeEdges(s.edges, doc)
  set({
    history,
    nodes,
    edges,
    edgePorts: edgePortsOf(edges),
    settings: { ...doc.settings },
    selectedIds: nodes.filter((n) => n.selected).map((n) => n.id),
    docVersion: s.docVersion + 1,
  })
}

export function undo() {
  const s = get()
  if (s.readOnly || s.compare || !canUndo(s.history)) return
  restore(historyReducer(s.history, { type: 'undo' }))
}

export function redo() {
  const s = get()
  if (s.readOnly || s.compare || !canRedo(s.history)) return
  restore(historyReducer(s.history, { type: 'redo' }))
}

// --- canvas events -------------------------------------------------------------------------------

export function onNodesChange(changes: NodeChange<StepNode>[]) {
  const s = get()
  if (s.compare) {
    // the comparison is read-only: only selection and measurements apply
    const allowed = changes.filter((c) => c.type === 'select' || c.type === 'dimensions')
    if (allowed.length) set({ compare: { ...s.compare, nodes: applyNodeChanges(allowed, s.compare.nodes) } })
    return
  }
  const usable = s.readOnly ? changes.filter((c) => c.type === 'select' || c.type === 'dimensions') : changes
  if (!usable.length) return
  const nodes = applyNodeChanges(usable, s.nodes)
  const patch: Partial<EditorState> = { nodes }
  if (usable.some((c) => c.type === 'select' || c.type === 'remove')) {
    patch.selectedIds = nodes.filter((n) => n.selected).map((n) => n.id)
  }
  set(patch)
  if (usable.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace')) commitSoon()
  else if (usable.some((c) => c.type === 'position' && c.dragging)) dragActive = true
  else if (usable.some((c) => c.type === 'position')) {
    // a drop ends a drag: one undo step; arrow-key nudges of a selection coalesce into one
    if (dragActive) commit()
    else commit('nudge')
    dragActive = false
  }
}

let dragActive = false

export function onEdgesChange(changes: EdgeChange<PortEdge>[]) {
  const s = get()
  if (s.compare) return
  const usable = s.readOnly ? changes.filter((c) => c.type === 'select') : changes
  if (!usable.length) return
  const edges = applyEdgeChanges(usable, s.edges)
  const removed = usable.some((c) => c.type === 'remove' || c.type === 'add')
  set(removed ? { edges, edgePorts: edgePortsOf(edges) } : { edges })
  if (removed) commitSoon()
}

function connNodes(nodes: readonly StepNode[]): Map<string, ConnNode> {
  return new Map(nodes.map((n) => [n.id, { id: n.id, kind: n.data.kind, config: n.data.config, label: n.data.label }]))
}

/** Why a connection would be refused (null: allowed). */
export function whyNotConnect(conn: { source: string | null; target: string | null; sourceHandle?: string | null }): string | null {
  const s = get()
  if (s.readOnly || s.compare) return 'this view is read-only'
  const edges = s.edges.map((e) => ({ source: e.source, target: e.target, port: e.sourceHandle ?? 'out' }))
  return connectionProblem(conn, connNodes(s.nodes), edges, s.types)
}

export function connect(conn: { source: string | null; target: string | null; sourceHandle?: string | null }) {
  const problem = whyNotConnect(conn)
  if (problem) {
    toast(problem, 'error')
    return
  }
  const s = get()
  const edge = toFlowEdge({
    id: nextEdgeId(s.edges.map((e) => e.id)),
    source: conn.source!,
    target: conn.target!,
    port: conn.sourceHandle ?? 'out',
  })
  const edges = [...s.edges, edge]
  set({ edges, edgePorts: edgePortsOf(edges) })
  commit()
}

// --- editing -------------------------------------------------------------------------------------

/** A new node's config: empty, except a switch gets one case so it shows a port to connect. */
export function initialConfig(def: StepTypeDef | undefined): Config {
  const source = portSource(def)
  return source ? { [source]: ['case_1'] } : {}
}

export function addNode(kind: string, position: { x: number; y: number }): string | null {
  const s = get()
  if (s.readOnly || s.compare) return null
  const def = s.types[kind]
  const id = nextId(idPrefix(kind), s.nodes.map((n) => n.id))
  const node: StepNode = {
    ...toFlowNode({ id, type: kind, label: def?.label ?? kind, position, config: initialConfig(def) }),
    selected: true,
  }
  const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node]
  set({ nodes, selectedIds: [id], rightTab: 'inspector' })
  commit()
  return id
}

function replaceNode(id: string, update: (n: StepNode) => StepNode) {
  const s = get()
  set({ nodes: s.nodes.map((n) => (n.id === id ? update(n) : n)) })
}

export function setLabel(id: string, label: string) {
  if (get().readOnly) return
  replaceNode(id, (n) => ({ ...n, data: { ...n.data, label } }))
  commit(`${id}:label`)
}

/**
 * Set (or with undefined, remove) a config value. `renamePort` moves the node's outgoing edges
 * from one port to another (renaming a switch case keeps its connections).
 */
export function setConfig(id: string, path: readonly string[], value: Json | undefined, renamePort?: [string, string]) {
  const s = get()
  if (s.readOnly) return
  replaceNode(id, (n) => ({ ...n, data: { ...n.data, config: setAt(n.data.config, path, value) } }))
  if (renamePort && renamePort[0] !== renamePort[1]) {
    const [from, to] = renamePort
    const edges = get().edges.map((e) => (e.source === id && e.sourceHandle === from ? { ...e, sourceHandle: to } : e))
    set({ edges, edgePorts: edgePortsOf(edges) })
  }
  commit(`${id}:config.${path.join('.')}`)
}

/** Set several config values as one undoable change (switching a map from Handler to Workflow). */
export function setConfigValues(id: string, changes: readonly (readonly [readonly string[], Json | undefined])[]) {
  if (get().readOnly || changes.length === 0) return
  replaceNode(id, (n) => ({ ...n, data: { ...n.data, config: changes.reduce((config, [path, value]) => setAt(config, path, value), n.data.config) } }))
  commit()
}

export function setSettings(path: readonly string[], value: Json | undefined) {
  const s = get()
  if (s.readOnly) return
  set({ settings: setAt(s.settings as { [k: string]: Json }, path, value) })
  commit(`settings.${path.join('.')}`)
}

/** Rename a node (its edges follow). Returns an error message, or null when done. */
export function renameNode(oldId: string, newId: string): string | null {
  const s = get()
  if (s.readOnly) return 'read-only'
  if (oldId === newId) return null
  if (!NODE_ID_RE.test(newId)) return 'an id starts with a letter or _ and has only letters, digits and _ (at most 64)'
  if (s.nodes.some((n) => n.id === newId)) return `there is already a node ${newId}`
  const nodes = s.nodes.map((n) => (n.id === oldId ? { ...n, id: newId } : n))
  const edges = s.edges.map((e) =>
    e.source === oldId || e.target === oldId
      ? { ...e, source: e.source === oldId ? newId : e.source, target: e.target === oldId ? newId : e.target }
      : e,
  )
  set({ nodes, edges, edgePorts: edgePortsOf(edges), selectedIds: s.selectedIds.map((i) => (i === oldId ? newId : i)) })
  commit()
  return null
}

export function deleteNodes(ids: readonly string[]) {
  const s = get()
  if (s.readOnly || s.compare || ids.length === 0) return
  const gone = new Set(ids)
  const edges = s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target))
  set({
    nodes: s.nodes.filter((n) => !gone.has(n.id)),
    edges,
    edgePorts: edgePortsOf(edges),
    selectedIds: s.selectedIds.filter((i) => !gone.has(i)),
  })
  commit()
}

export function selectOnly(ids: readonly string[]) {
  const s = get()
  const want = new Set(ids)
  if (s.compare) {
    set({ compare: { ...s.compare, nodes: s.compare.nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })) } })
    return
  }
  const nodes = s.nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) }))
  const edges = s.edges.some((e) => e.selected) ? s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) : s.edges
  set({ nodes, edges, selectedIds: [...ids].filter((i) => s.nodes.some((n) => n.id === i)) })
}

export function selectAll() {
  selectOnly(get().nodes.map((n) => n.id))
}

/** Select a node and ask the canvas to centre it. */
export function focusNode(id: string) {
  selectOnly([id])
  const s = get()
  set({ focus: { id, n: (s.focus?.n ?? 0) + 1 }, rightTab: s.run || s.compare ? s.rightTab : 'inspector' })
}

const CLIP_KEY = 'flowdesk.clipboard'

export function copySelected(): number {
  const s = get()
  const selected = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id))
  if (selected.size === 0) return 0
  const doc = currentDoc()
  const clip = copySelection(doc.nodes, doc.edges, selected)
  set({ clipboard: clip, pasteCount: 0 })
  const text = clipToText(clip)
  try {
    localStorage.setItem(CLIP_KEY, text) // so another designer tab can paste it
  } catch {
    /* storage full or disabled: the in-memory clip still works */
  }
  navigator.clipboard?.writeText(text).catch(() => undefined)
  return selected.size
}

export function pasteClipboard(): number {
  const s = get()
  if (s.readOnly || s.compare) return 0
  let clip = s.clipboard
  try {
    const stored = clipFromText(localStorage.getItem(CLIP_KEY) ?? '')
    if (stored) clip = stored
  } catch {
    /* no storage */
  }
  if (!clip || clip.nodes.length === 0) return 0
  const step = 40 * (s.pasteCount + 1)
  const pasted = pasteClip(clip, s.nodes.map((n) => n.id), s.edges.map((e) => e.id), { x: step, y: step })
  const newNodes = pasted.nodes.map((n) => ({ ...toFlowNode(n), selected: true }))
  const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...newNodes]
  const edges = [...s.edges, ...pasted.edges.map(toFlowEdge)]
  set({ nodes, edges, edgePorts: edgePortsOf(edges), selectedIds: newNodes.map((n) => n.id), pasteCount: s.pasteCount + 1 })
  commit()
  return newNodes.length
}

export function duplicateSelected(): number {
  if (copySelected() === 0) return 0
  return pasteClipboard()
}

/** Move nodes to new positions as one undo step (automatic layout). */
export function applyPositions(positions: ReadonlyMap<string, { x: number; y: number }>) {
  const s = get()
  set({ nodes: s.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id)! } : n)) })
  commit()
}

// --- validation ----------------------------------------------------------------------------------

/** Store a validation result, indexing its errors by node and edge of the graph that was checked. */
export function setValidation(result: { valid: boolean; errors: ApiFieldError[]; plan: { batches: string[][] } | null }, checked: GraphV1) {
  const byNode = new Map<string, ApiFieldError[]>()
  const graphErrors: ApiFieldError[] = []
  const edgeErrors = new Map<string, string>()
  const errors = result.errors.map((e) => {
    const field = preciseField(e)
    return field === (e.field ?? null) ? e : { ...e, field }
  })
  const mentions = new Map<string, ApiFieldError[]>()
  const add = (index: Map<string, ApiFieldError[]>, id: string, e: ApiFieldError) => (index.get(id) ?? index.set(id, []).get(id)!).push(e)
  for (const e of errors) {
    // counted once, under the node the problems list shows it for; the other nodes it names are marked
    const target = e.node ?? e.nodes?.[0] ?? null
    if (target) add(byNode, target, e)
    else graphErrors.push(e)
    for (const n of new Set(e.nodes ?? [])) if (n !== target) add(mentions, n, e)
    const m = /^edges\[(\d+)\]/.exec(e.field ?? '')
    const edge = m ? checked.edges[Number(m[1])] : undefined
    if (edge) edgeErrors.set(edge.id, e.message)
  }
  const batchOf = new Map<string, number>()
  result.plan?.batches.forEach((batch, i) => batch.forEach((id) => batchOf.set(id, i + 1)))
  set({
    validation: {
      status: result.valid ? 'valid' : 'invalid',
      errors,
      byNode,
      mentions,
      graphErrors,
      edgeErrors,
      plan: result.plan?.batches ?? null,
      batchOf,
      message: null,
    },
  })
}

export function setValidationStatus(status: ValidationState['status'], message: string | null = null) {
  set({ validation: { ...get().validation, status, message } })
}

// --- ui ------------------------------------------------------------------------------------------

let toastSeq = 0
export function toast(text: string, kind: Toast['kind'] = 'info') {
  const id = ++toastSeq
  set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] })
  setTimeout(() => dismissToast(id), kind === 'error' ? 6000 : 3500)
}

export function dismissToast(id: number) {
  set({ toasts: get().toasts.filter((t) => t.id !== id) })
}

export const setDialog = (dialog: Dialog) => set({ dialog })
export const setRightTab = (rightTab: RightTab) => set({ rightTab })
export const togglePlan = () => set({ showPlan: !get().showPlan })
export const setProblemsOpen = (problemsOpen: boolean) => set({ problemsOpen })

export function setSave(patch: Partial<SaveState>) {
  set({ save: { ...get().save, ...patch } })
}

export function openCompare(view: CompareView) {
  set({ compare: view, runSelected: null })
}

export function closeCompare() {
  set({ compare: null })
}

/**
 * Shows a node of the run (and one of its attempts, by StepRun id) in the step details: the
 * instance page's drawer, the designer's test-run panel. The right panel keeps its tab (the drawer
 * lies over the canvas; in the designer there is no run tab).
 */
export function selectRunAttempt(node: string, attempt: number | null = null) {
  set({ runSelected: node, runAttempt: attempt })
}

export function setRun(run: RunView | null) {
  set({ run, runError: null })
}

