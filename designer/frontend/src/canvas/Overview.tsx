/**
 * The mini map. React Flow's own re-reads every node on every store update, which costs a quarter
 * of a drag frame on a 500-step graph; this one draws from the editor's state and holds still while
 * a step is being dragged (it catches up on the drop). Click or drag in it to move the view there;
 * the wheel zooms.
 */
import { Panel, useReactFlow, useStore, type ReactFlowState } from '@xyflow/react'
import { useCallback, useMemo, useRef } from 'react'
import type { StepNode } from '../graph/convert'
import { useEditor, type EditorState } from '../state/store'

const WIDTH = 200
const HEIGHT = 150
const NODE_W = 180
const NODE_H = 80

let held: StepNode[] = []
/** The drawn nodes, unchanged while any of them is dragged. */
function steadyNodes(s: EditorState): StepNode[] {
  const nodes = s.compare ? s.compare.nodes : s.nodes
  if (!nodes.some((n) => n.dragging)) held = nodes
  return held
}

const viewSelector = (s: ReactFlowState) => ({ x: s.transform[0], y: s.transform[1], zoom: s.transform[2], width: s.width, height: s.height })
const sameView = (a: ReturnType<typeof viewSelector>, b: ReturnType<typeof viewSelector>) =>
  a.x === b.x && a.y === b.y && a.zoom === b.zoom && a.width === b.width && a.height === b.height

interface Box {
  x: number
  y: number
  w: number
  h: number
}

/** The smallest box holding every node and the visible area. */
export function overviewBounds(nodes: readonly StepNode[], visible: Box): Box {
  let minX = visible.x
  let minY = visible.y
  let maxX = visible.x + visible.w
  let maxY = visible.y + visible.h
  for (const n of nodes) {
    minX = Math.min(minX, n.position.x)
    minY = Math.min(minY, n.position.y)
    maxX = Math.max(maxX, n.position.x + (n.measured?.width ?? NODE_W))
    maxY = Math.max(maxY, n.position.y + (n.measured?.height ?? NODE_H))
  }
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY }
}

export function Overview({ colour }: { colour: (node: StepNode) => string }) {
  const nodes = useEditor(steadyNodes)
  const view = useStore(viewSelector, sameView)
  const rf = useReactFlow()
  const svg = useRef<SVGSVGElement>(null)

  const visible: Box = { x: -view.x / view.zoom, y: -view.y / view.zoom, w: view.width / view.zoom, h: view.height / view.zoom }
  const bounds = overviewBounds(nodes, visible)
  // one map unit per `scale` flow units, the same in both directions, with a margin
  const scale = Math.max(bounds.w / WIDTH, bounds.h / HEIGHT, 1e-6)
  const pad = 5 * scale
  const vw = WIDTH * scale + 2 * pad
  const vh = HEIGHT * scale + 2 * pad
  const vx = bounds.x - (vw - bounds.w) / 2
  const vy = bounds.y - (vh - bounds.h) / 2

  // the 500 rectangles are redrawn when the nodes or their colours change, not on every pan
  const rects = useMemo(
    () =>
      nodes.map((n) => (
        <rect
          key={n.id}
          x={n.position.x}
          y={n.position.y}
          width={n.measured?.width ?? NODE_W}
          height={n.measured?.height ?? NODE_H}
          rx={6}
          fill={colour(n)}
        />
      )),
    [nodes, colour],
  )

  const moveTo = useCallback(
    (clientX: number, clientY: number) => {
      const el = svg.current
      if (!el) return
      const r = el.getBoundingClientRect()
      const fx = vx + ((clientX - r.left) / r.width) * vw
      const fy = vy + ((clientY - r.top) / r.height) * vh
      void rf.setViewport({ x: view.width / 2 - fx * view.zoom, y: view.height / 2 - fy * view.zoom, zoom: view.zoom })
    },
    [rf, vx, vy, vw, vh, view.width, view.height, view.zoom],
  )

  const onPointerDown = (e: React.PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return
    e.currentTarget.setPointerCapture(e.pointerId)
    moveTo(e.clientX, e.clientY)
  }
  const onPointerMove = (e: React.PointerEvent<SVGSVGElement>) => {
    if (e.currentTarget.hasPointerCapture(e.pointerId)) moveTo(e.clientX, e.clientY)
  }
  const onWheel = (e: React.WheelEvent<SVGSVGElement>) => {
    void rf.zoomTo(view.zoom * Math.pow(2, -e.deltaY / 500))
  }

  const outer = `M${vx - pad},${vy - pad}h${vw + 2 * pad}v${vh + 2 * pad}h${-(vw + 2 * pad)}z`
  const hole = `M${visible.x},${visible.y}h${visible.w}v${visible.h}h${-visible.w}z`
  return (
    <Panel position="bottom-right" className="fd-overview">
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${vx} ${vy} ${vw} ${vh}`}
        role="img"
        aria-label="Mini map"
        data-testid="minimap"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onWheel={onWheel}
      >
        <title>Mini map: click or drag to move the view, scroll to zoom</title>
        {rects}
        <path className="fd-overview-mask" d={outer + hole} fillRule="evenodd" />
        <rect className="fd-overview-view" x={visible.x} y={visible.y} width={visible.w} height={visible.h} vectorEffect="non-scaling-stroke" />
      </svg>
    </Panel>
  )
}
