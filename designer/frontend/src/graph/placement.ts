export interface Box {
  x: number
  y: number
  w: number
  h: number
}

/**
 * The top-left of a free place for a new node near `centre` (so nodes added from the keyboard do
 * not pile up): the centre if free, else the nearest free cell of a grid around it.
 */
export function freeSpot(centre: { x: number; y: number }, boxes: readonly Box[], w = 180, h = 80) {
  const start = { x: Math.round((centre.x - w / 2) / 10) * 10, y: Math.round((centre.y - h / 2) / 10) * 10 }
  const free = (x: number, y: number) => boxes.every((b) => x + w + 20 <= b.x || b.x + b.w + 20 <= x || y + h + 20 <= b.y || b.y + b.h + 20 <= y)
  for (let ring = 0; ring < 12; ring++) {
    for (let dy = -ring; dy <= ring; dy++) {
      for (let dx = -ring; dx <= ring; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue
        const x = start.x + dx * (w + 40)
        const y = start.y + dy * (h + 40)
        if (free(x, y)) return { x, y }
      }
    }
  }
  return start
}
