import { describe, expect, it } from 'vitest'
import { READABLE_ZOOM, initialViewport } from './viewport'

const row = (count: number, gap = 180) => Array.from({ length: count }, (_, i) => ({ position: { x: i * gap, y: 0 } }))

describe('initialViewport', () => {
  it('fits a small graph whole, centred', () => {
    const v = initialViewport(row(3), 1000, 700)
    expect(v.zoom).toBe(1.1)
  })
  it('opens a graph that fits only below the readable zoom at the readable zoom, from its start', () => {
    // the image demo: eight steps over ~1280 px in a ~850 px canvas fitted at 0.58
    const v = initialViewport(row(8, 160), 850, 780)
    expect(v.zoom).toBe(READABLE_ZOOM)
    expect(v.x).toBe(48)
  })
  it('never opens below the readable zoom', () => {
    expect(initialViewport(row(200), 850, 780).zoom).toBe(READABLE_ZOOM)
  })
})
