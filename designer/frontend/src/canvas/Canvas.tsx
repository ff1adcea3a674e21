import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useStore,
  type FinalConnectionState,
  type IsValidConnection,
  type ReactFlowInstance,
} from '@xyflow/react'
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { PortEdge, StepNode } from '../graph/convert'
import { layoutDone, layoutOnLoad } from '../state/load'
import { connect, onEdgesChange, onNodesChange, selectRunAttempt, toast, useEditor, whyNotConnect } from '../state/store'
import { autoLayout } from './actions'
import { registerFlow } from './flowRef'
import { initialViewport } from './viewport'
import { categoryColour } from './look'
import { Overview } from './Overview'
import { EdgeMarkers, PortEdgeView } from './PortEdgeView'
import { StepNodeView } from './StepNodeView'

// Declared at module scope: React Flow re-creates every node when these objects change.
const nodeTypes = { step: StepNodeView }
const edgeTypes = { port: PortEdgeView }
const SNAP: [number, number] = [10, 10]
const DELETE_KEYS = ['Delete', 'Backspace']
const MULTI_KEYS = ['Shift', 'Meta', 'Control']

const STATUS_COLOUR: Record<string, string> = {
  completed: '#1f9d55',
  failed: '#d0353a',
  timed_out: '#d0353a',
  running: '#2f6fed',
  scheduled: '#7da2f5',
  waiting: '#d69e2e',
  skipped: '#c3c9d4',
  cancelled: '#a0a8b8',
  compensated: '#8b5cf6',
}

function miniColour(node: StepNode): string {
  const s = useEditor.getState()
  const change = s.compare?.diff.nodes.get(node.id)
  if (change) {
    const d = change.status
    return d === 'added' ? '#1f9d55' : d === 'removed' ? '#d0353a' : d === 'changed' ? '#d69e2e' : '#c3c9d4'
  }
  const status = s.run?.nodeStatus.get(node.id)
  if (status && !s.compare) return STATUS_COLOUR[status] ?? '#dde2ea'
  if (s.validation.byNode.has(node.id)) return '#d0353a'
  return categoryColour(s.types[node.data.kind]?.category)
}

/** Below this zoom a step's text is too small to read: its details are not painted (see `is-far`). */
const FAR_ZOOM = 0.4

/**
 * Level of detail: zoomed far out, the canvas drops each step's icon, subtitle, port labels and
 * handles (kept in layout, so nothing is re-measured). Hundreds of steps then paint, and drag, at
 * a fraction of the cost.
 */
function DetailLevel({ canvas }: { canvas: React.RefObject<HTMLDivElement | null> }) {
  const far = useStore((s) => s.transform[2] < FAR_ZOOM)
  useEffect(() => {
    canvas.current?.classList.toggle('is-far', far)
  }, [far, canvas])
  return null
}
/** Mark the page ready for the benchmark once the loaded graph is on screen. */
function announceReady(count: number) {
  const w = window as unknown as { __flowdesk?: Record<string, unknown> }
  const mark = () => {
    const drawn = count === 0 || document.querySelector('.react-flow__node') !== null
    if (!drawn) {
      window.requestAnimationFrame(mark)
      return
    }
    w.__flowdesk = { ...(w.__flowdesk ?? {}), ready: true, nodeCount: count }
  }
  window.requestAnimationFrame(() => window.requestAnimationFrame(mark))
}

export function Canvas() {
  const nodes = useEditor((s) => (s.compare ? s.compare.nodes : s.nodes))
  const edges = useEditor((s) => (s.compare ? s.compare.edges : s.edges))
  const locked = useEditor((s) => s.readOnly || !!s.compare)
  const focus = useEditor((s) => s.focus)
  const wrapper = useRef<HTMLDivElement>(null)
  const rf = useRef<ReactFlowInstance<StepNode, PortEdge> | null>(null)
  const big = nodes.length > 200
  // the opening viewport is known before React Flow first renders: no render at a wrong viewport
  const [viewport, setViewport] = useState<{ x: number; y: number; zoom: number } | null>(null)
  useLayoutEffect(() => {
    const box = wrapper.current?.getBoundingClientRect()
    setViewport(initialViewport(useEditor.getState().nodes, box?.width ?? 800, box?.height ?? 600))
  }, [])
  // the mini map colours by overlay: a new colour function when an overlay changes redraws it
  const validation = useEditor((s) => s.validation.byNode)
  const run = useEditor((s) => s.run)
  const compare = useEditor((s) => s.compare?.diff)
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const nodeColour = useCallback((n: StepNode) => miniColour(n), [validation, run, compare])

  const onInit = useCallback((instance: ReactFlowInstance<StepNode, PortEdge>) => {
    rf.current = instance
    registerFlow(instance, wrapper.current)
    announceReady(useEditor.getState().nodes.length)
    if (layoutOnLoad) {
      layoutDone()
      window.setTimeout(() => void autoLayout(), 50)
    }
  }, [])

  useEffect(() => () => registerFlow(null, null), [])

  useEffect(() => {
    if (!focus || !rf.current) return
    const node = rf.current.getNode(focus.id)
    if (!node) return
    const w = node.measured?.width ?? 180
    const h = node.measured?.height ?? 80
    const zoom = Math.max(rf.current.getZoom(), 0.9)
    void rf.current.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom, duration: 300 })
  }, [focus])

  const isValidConnection: IsValidConnection<PortEdge> = useCallback(
    (c) => whyNotConnect({ source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? null }) === null,
    [],
  )

  // A refused connection says why; dropping a connection on a node's body connects to it.
  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid || !state.fromNode || !state.fromHandle) return
    if (state.fromHandle.type !== 'source') {
      if (state.toNode && state.toHandle) {
        const problem = whyNotConnect({ source: state.toNode.id, target: state.fromNode.id, sourceHandle: state.toHandle.id ?? null })
        if (problem) toast(problem, 'error')
      }
      return
    }
    const conn = { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? 'out' }
    if (state.toNode) {
      toast(whyNotConnect({ ...conn, target: state.toNode.id }) ?? 'cannot connect here', 'error')
      return
    }
    const point = 'changedTouches' in event ? event.changedTouches[0] : event
    const el = document.elementFromPoint(point.clientX, point.clientY)?.closest('.react-flow__node')
    const target = el?.getAttribute('data-id')
    if (target) connect({ ...conn, target })
  }, [])

  // While a node is dragged the viewport gets its own compositing layer: the rest of the canvas is
  // not repainted on every frame (only then: a layer kept across zooms would blur the text).
  const onDragStart = useCallback(() => wrapper.current?.classList.add('is-dragging'), [])
  const onDragStop = useCallback(() => wrapper.current?.classList.remove('is-dragging'), [])

  // a click on a step shows what matters now: its run in a run view, else its settings
  const onNodeClick = useCallback((_: React.MouseEvent, node: StepNode) => {
    const s = useEditor.getState()
    if (s.run) selectRunAttempt(node.id)
    else if (!s.compare && s.rightTab !== 'inspector') useEditor.setState({ rightTab: 'inspector' })
  }, [])

  return (
    <div className="fd-canvas" ref={wrapper} data-testid="canvas">
      <EdgeMarkers />
      {nodes.length === 0 && (
        <div className="fd-empty" data-testid="canvas-empty">
          <strong>An empty workflow</strong>
          <span>{locked ? 'This workflow has no steps yet.' : 'Drag a step from the palette, or focus one and press Enter, to start.'}</span>
        </div>
      )}
      {viewport && (
      <ReactFlow<StepNode, PortEdge>
        defaultViewport={viewport}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={connect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onInit={onInit}
        onNodeClick={onNodeClick}
        onNodeDragStart={onDragStart}
        onNodeDragStop={onDragStop}
        onSelectionDragStart={onDragStart}
        onSelectionDragStop={onDragStop}
        nodesDraggable={!locked}
        nodesConnectable={!locked}
        edgesReconnectable={false}
        deleteKeyCode={locked ? null : DELETE_KEYS}
        multiSelectionKeyCode={MULTI_KEYS}
        selectionKeyCode="Shift"
        snapToGrid
        snapGrid={SNAP}
        minZoom={0.05}
        maxZoom={2}
        connectionRadius={28}
        onlyRenderVisibleElements={big}
        elevateEdgesOnSelect
        attributionPosition="bottom-center"
        aria-label="Workflow canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cfd5df" />
        <Overview colour={nodeColour} />
        <DetailLevel canvas={wrapper} />
        <Controls showInteractive={false} />
      </ReactFlow>
      )}
    </div>
  )
}
