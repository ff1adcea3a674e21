/** Where the canvas opens (pure: computed from positions, so it needs no measured nodes). */

/** Below this a step's title is too small to read at 1440×900 (the demo graphs opened at 0.59). */
export const READABLE_ZOOM = 0.75
const MAX_OPEN_ZOOM = 1.1
const PAD = 48

interface Placed {
  position: { x: number; y: number }
  measured?: { width?: number; height?: number }
}

/**
 * The whole graph when it fits at a readable zoom; otherwise the readable zoom, from the graph's
 * start (the left and top, where a left-to-right flow begins), as a large diagram opens in any
 * modeller: the rest is a scroll away, and the mini map shows it all.
 */
export function initialViewport(nodes: readonly Placed[], width: number, height: number) {
  if (nodes.length === 0 || width <= 0 || height <= 0) return { x: width / 2, y: height / 3, zoom: 1 }
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const n of nodes) {
    minX = Math.min(minX, n.position.x)
    minY = Math.min(minY, n.position.y)
    maxX = Math.max(maxX, n.position.x + (n.measured?.width ?? 180))
    maxY = Math.max(maxY, n.position.y + (n.measured?.height ?? 80))
  }
  const w = maxX - minX
  const h = maxY - minY
  const fit = Math.min((width - 2 * PAD) / w, (height - 2 * PAD) / h, MAX_OPEN_ZOOM)
  const zoom = Math.max(fit, READABLE_ZOOM)
  const x = w * zoom <= width - 2 * PAD ? (width - w * zoom) / 2 - minX * zoom : PAD - minX * zoom
  const y = h * zoom <= height - 2 * PAD ? (height - h * zoom) / 2 - minY * zoom : PAD - minY * zoom
  return { x, y, zoom }
}
