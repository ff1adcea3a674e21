/** The React Flow instance, for actions started outside the canvas (layout, focus, add at centre). */
import type { ReactFlowInstance } from '@xyflow/react'
import type { PortEdge, StepNode } from '../graph/convert'

let instance: ReactFlowInstance<StepNode, PortEdge> | null = null
let pane: HTMLElement | null = null

export function registerFlow(rf: ReactFlowInstance<StepNode, PortEdge> | null, el: HTMLElement | null) {
  instance = rf
  pane = el
}

export const flow = () => instance

/** The flow position at the middle of the visible canvas. */
export function viewportCentre(): { x: number; y: number } {
  if (!instance || !pane) return { x: 0, y: 0 }
  const r = pane.getBoundingClientRect()
  return instance.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 })
}

/** Whether a screen point is over the canvas (a palette drop target). */
export function overCanvas(x: number, y: number): boolean {
  if (!pane) return false
  const r = pane.getBoundingClientRect()
  return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom
}

export function screenToFlow(x: number, y: number) {
  return instance ? instance.screenToFlowPosition({ x, y }) : { x, y }
}
