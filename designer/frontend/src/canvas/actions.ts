/** Canvas actions shared by the toolbar, the keyboard and the palette. */
import { layout } from '../graph/layout'
import { outputPorts } from '../graph/ports'
import { freeSpot } from '../graph/placement'
import { addNode, applyPositions, toast, useEditor } from '../state/store'
import { flow, viewportCentre } from './flowRef'

export const NODE_WIDTH = 180

/** The height a node draws at before it was measured (header, summary, one row per port). */
export function estimatedHeight(ports: number) {
  return 58 + Math.max(1, ports) * 22
}

export async function autoLayout(): Promise<void> {
  const s = useEditor.getState()
  if (s.readOnly || s.compare || s.layoutBusy || s.nodes.length === 0) return
  useEditor.setState({ layoutBusy: true })
  try {
    const nodes = s.nodes.map((n) => {
      const ports = outputPorts(s.types[n.data.kind], n.data.config)
      for (const p of (s.edgePorts.get(n.id) ?? '').split('\u0000')) if (p && !ports.includes(p)) ports.push(p)
      return { id: n.id, width: n.measured?.width ?? NODE_WIDTH, height: n.measured?.height ?? estimatedHeight(ports.length), ports }
    })
    const edges = s.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, port: e.sourceHandle ?? 'out' }))
    const positions = await layout(nodes, edges)
    applyPositions(positions)
    window.requestAnimationFrame(() => void flow()?.fitView({ padding: 0.15, duration: 300, maxZoom: 1.1 }))
  } catch (e) {
    toast(`Layout failed: ${(e as Error).message}`, 'error')
  } finally {
    useEditor.setState({ layoutBusy: false })
  }
}

/** Add a node in the middle of the visible canvas, where there is room (keyboard users). */
export function addAtCentre(kind: string) {
  const s = useEditor.getState()
  const boxes = s.nodes.map((n) => ({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? NODE_WIDTH, h: n.measured?.height ?? 80 }))
  const id = addNode(kind, freeSpot(viewportCentre(), boxes))
  if (id) toast(`Added ${id}`, 'success')
  return id
}

export function fitAll() {
  void flow()?.fitView({ padding: 0.15, duration: 250, maxZoom: 1.1 })
}
