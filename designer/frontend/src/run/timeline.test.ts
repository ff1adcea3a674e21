import { describe, expect, it } from 'vitest'
import type { StepRun } from '../api/types'
import {
  LANE_H,
  MIN_BAR_PX,
  barBox,
  buildLanes,
  clockLag,
  laneHeight,
  nextBar,
  queuedTime,
  runTime,
  segments,
  tickInterval,
  tickLabel,
  tickStep,
  ticks,
  timeSpan,
  type Lane,
} from './timeline'

const T0 = Date.parse('2026-03-01T10:00:00Z')
const at = (ms: number) => new Date(T0 + ms).toISOString()

let seq = 0
const attempt = (node: string, status: string, from: number, to: number | null, extra: Partial<StepRun> = {}): StepRun => ({
  id: ++seq,
  node,
  type: 'task',
  attempt: 1,
  status,
  output: null,
  error: null,
  scheduled_at: at(from),
  started_at: at(from),
  finished_at: to === null ? null : at(to),
  duration_ms: to === null ? null : to - from,
  ...extra,
})

const byNode = (runs: StepRun[]) => {
  const m = new Map<string, StepRun[]>()
  for (const r of runs) (m.get(r.node) ?? m.set(r.node, []).get(r.node)!).push(r)
  return m
}

const lanesOf = (runs: StepRun[], order: string[]) =>
  buildLanes(byNode(runs), order, (id) => id.toUpperCase(), (id) => (runs.some((r) => r.node === id) ? 'completed' : 'pending'))

describe('timeline lanes', () => {
  it('orders lanes by first start, ties and unstarted nodes in graph order', () => {
    const lanes = lanesOf(
      [attempt('c', 'completed', 0, 10), attempt('a', 'completed', 50, 60), attempt('b', 'completed', 50, 70)],
      ['a', 'b', 'c', 'd', 'e'],
    )
    expect(lanes.map((l) => l.node)).toEqual(['c', 'a', 'b', 'd', 'e'])
    expect(lanes.map((l) => l.label)).toEqual(['C', 'A', 'B', 'D', 'E'])
    expect(lanes[3]).toMatchObject({ bars: [], first: null, status: 'pending' })
    expect(lanes.map((l) => l.top)).toEqual([0, LANE_H, 2 * LANE_H, 3 * LANE_H, 4 * LANE_H])
  })

  it('gives a node the graph no longer lists a lane of its own', () => {
    const lanes = lanesOf([attempt('gone', 'completed', 0, 5)], ['a'])
    expect(lanes.map((l) => l.node)).toEqual(['gone', 'a'])
  })

  it('draws each retry as its own bar on one track, queued from its scheduling to its start', () => {
    const lanes = lanesOf(
      [
        attempt('charge', 'failed', 0, 100),
        attempt('charge', 'failed', 100, 300, { attempt: 2, scheduled_at: at(100), started_at: at(1100), finished_at: at(1300) }),
        attempt('charge', 'completed', 1300, null, { attempt: 3, scheduled_at: at(1300), started_at: at(3300), finished_at: at(3400) }),
      ],
      ['charge'],
    )
    const [lane] = lanes
    expect(lane.bars.map((b) => [b.attempt, b.status, b.track])).toEqual([
      [1, 'failed', 0],
      [2, 'failed', 0],
      [3, 'completed', 0],
    ])
    expect(lane).toMatchObject({ tracks: 1, attempts: 3, items: 0, open: false, height: LANE_H })
    const scale = { start: T0, end: T0 + 4000, width: 400 }
    const s = segments(lane.bars[1], scale, T0 + 5000)
    expect([s.qx, s.qw, s.rx, s.rw].map(Math.round)).toEqual([10, 100, 110, 20])
  })

  it('packs fan-out items that run at once into tracks, the lane growing only so far', () => {
    const items = (n: number) =>
      Array.from({ length: n }, (_, i) => attempt('map', 'completed', i, 1000 + i, { item_key: String(i) }))
    const three = lanesOf(items(3), ['map'])[0]
    expect(three).toMatchObject({ tracks: 3, items: 3, attempts: 1 })
    expect(three.bars.map((b) => b.track)).toEqual([0, 1, 2])
    expect(three.height).toBe(laneHeight(3))
    expect(three.height).toBeGreaterThan(LANE_H)

    const many = lanesOf(items(60), ['map'])[0]
    expect(many.tracks).toBe(60)
    expect(many.height).toBe(laneHeight(6)) // capped: 60 tracks share six tracks' height
    const last = barBox(59, 60)
    expect(last.y + last.h).toBeLessThanOrEqual(many.height)
    expect(last.h).toBeGreaterThanOrEqual(1)
  })

  it('knows how many items a fan-out has in all when the detail drew some of them only', () => {
    const shown = [attempt('map', 'waiting', 0, null, { item_key: '' }), ...Array.from({ length: 5 }, (_, i) => attempt('map', 'completed', i, 100 + i, { item_key: String(i) }))]
    const counts = new Map([['map', { node: 'map', attempts: 10_001, items: 10_000, by_status: { completed: 10_000 } }], ['a', { node: 'a', attempts: 1, items: 1, by_status: { completed: 1 } }]])
    const [map, plain] = buildLanes(byNode([...shown, attempt('a', 'completed', 200, 300)]), ['map', 'a'], (id) => id, () => 'completed', counts)
    expect(map).toMatchObject({ items: 5, totalItems: 10_000 })
    expect(plain).toMatchObject({ items: 0, totalItems: 0 }) // not a fan-out: its one step is no item
    expect(lanesOf(shown, ['map'])[0]).toMatchObject({ items: 5, totalItems: 5 }) // without counts: what it drew
  })

  it('reuses a track once an item has finished, and keeps it while one is still open', () => {
    const lane = lanesOf(
      [
        attempt('map', 'completed', 0, 100, { item_key: '0' }),
        attempt('map', 'running', 10, null, { item_key: '1' }),
        attempt('map', 'completed', 200, 300, { item_key: '2' }),
        attempt('map', 'completed', 250, 400, { item_key: '3' }),
      ],
      ['map'],
    )[0]
    expect(lane.bars.map((b) => [b.item, b.track])).toEqual([
      ['0', 0],
      ['1', 1],
      ['2', 0],
      ['3', 2],
    ])
    expect(lane.open).toBe(true)
  })

  it('marks waiting steps, and the steps of a waiting kind once they are done', () => {
    const lane = lanesOf(
      [attempt('cool', 'completed', 0, 2000, { type: 'wait' }), attempt('hold', 'waiting', 0, null, { type: 'task' })],
      ['cool', 'hold'],
    )
    expect(lane.map((l) => [l.node, l.bars[0].waits, l.bars[0].open])).toEqual([
      ['cool', true, false],
      ['hold', true, true],
    ])
  })
})

describe('timeline bars', () => {
  const scale = { start: T0, end: T0 + 1000, width: 1000 }
  const one = (step: StepRun) => lanesOf([step], [step.node])[0].bars[0]

  it('grows a running bar with the clock', () => {
    const bar = one(attempt('a', 'running', 100, null))
    expect(segments(bar, scale, T0 + 300).rw).toBe(200)
    expect(segments(bar, scale, T0 + 600).rw).toBe(500)
  })

  it('draws a queued attempt as a growing queued part only', () => {
    const bar = one(attempt('a', 'scheduled', 100, null, { started_at: null }))
    expect(segments(bar, scale, T0 + 400)).toEqual({ qx: 100, qw: 300, rx: 400, rw: 0 })
  })

  it('keeps an attempt that took no time visible', () => {
    const bar = one(attempt('a', 'skipped', 500, 500))
    expect(segments(bar, scale, T0 + 900)).toEqual({ qx: 500, qw: 0, rx: 500, rw: MIN_BAR_PX })
  })

  it('leaves out queued time too short to see', () => {
    const bar = one(attempt('a', 'completed', 300, 400, { scheduled_at: at(298) }))
    expect(segments(bar, scale, T0 + 900)).toEqual({ qx: 300, qw: 0, rx: 300, rw: 100 })
  })

  it('says how long an attempt was queued and how long it ran, so far while open', () => {
    const retry = one(attempt('a', 'completed', 100, 700, { scheduled_at: at(100), started_at: at(400) }))
    expect([queuedTime(retry, T0 + 900), runTime(retry, T0 + 900)]).toEqual([300, 300])
    const running = one(attempt('a', 'running', 100, null, { scheduled_at: at(50) }))
    expect([queuedTime(running, T0 + 900), runTime(running, T0 + 900)]).toEqual([50, 800])
    const queued = one(attempt('a', 'scheduled', 100, null, { started_at: null }))
    expect([queuedTime(queued, T0 + 900), runTime(queued, T0 + 900)]).toEqual([800, null])
  })

  it('stops a finished bar at its end whatever the clock says', () => {
    const bar = one(attempt('a', 'completed', 100, 200))
    expect(segments(bar, scale, T0 + 900).rw).toBe(100)
  })

  it('draws an attempt cancelled before it started as queued time ending in a mark', () => {
    const bar = one(attempt('a', 'cancelled', 100, 300, { started_at: null }))
    expect(segments(bar, scale, T0 + 900)).toEqual({ qx: 100, qw: 200, rx: 300, rw: MIN_BAR_PX })
  })
})

describe('timeline axis', () => {
  it('chooses ticks in ms, s, min or h as the span needs', () => {
    expect(tickStep(400, 1000)).toBe(50)
    expect(tickStep(20_000, 1000)).toBe(2_000)
    expect(tickStep(20 * 60_000, 1000)).toBe(120_000)
    expect(tickStep(30 * 3_600_000, 1000)).toBe(10_800_000)
    expect(tickStep(60 * 86_400_000, 1000) % 604_800_000).toBe(0)
  })

  it('labels ticks by their offset from the start, readably', () => {
    expect(tickLabel(0, 1000, 10_000)).toBe('0')
    expect(tickLabel(150, 50, 400)).toBe('150 ms')
    expect(tickLabel(1500, 500, 4000)).toBe('1.5 s')
    expect(tickLabel(30_000, 5_000, 60_000)).toBe('30 s')
    expect(tickLabel(90_000, 15_000, 300_000)).toBe('1 min 30 s')
    expect(tickLabel(5_400_000, 1_800_000, 7_200_000)).toBe('1 h 30 min')
    expect(tickLabel(93_600_000, 3_600_000, 172_800_000)).toBe('1 d 2 h')
  })

  it('spaces ticks evenly across the track, never closer than a label needs', () => {
    const t = ticks({ start: T0, end: T0 + 10_000, width: 800 })
    expect(t.map((k) => k.label)).toEqual(['0', '2 s', '4 s', '6 s', '8 s', '10 s'])
    expect(t[1].x - t[0].x).toBeGreaterThanOrEqual(90)
    expect(t.at(-1)!.x).toBe(800)
  })

  it('spans a finished run exactly from its start to its end', () => {
    const lanes = lanesOf([attempt('a', 'completed', 100, 900)], ['a'])
    expect(timeSpan(lanes, { started: T0, finished: T0 + 1000, final: true }, T0 + 99_999, 800)).toEqual({ start: T0, end: T0 + 1000 })
  })

  it('keeps room ahead of now on a live run, and rescales only when now crosses a tick', () => {
    const lanes = lanesOf([attempt('a', 'running', 0, null)], ['a'])
    const run = { started: T0, finished: null, final: false }
    const spans = [10_000, 10_500, 11_000, 11_500, 12_000].map((n) => timeSpan(lanes, run, T0 + n, 800))
    for (const [i, s] of spans.entries()) {
      expect(s.start).toBe(T0)
      expect(s.end).toBeGreaterThan(T0 + [10_000, 10_500, 11_000, 11_500, 12_000][i])
    }
    expect(new Set(spans.map((s) => s.end)).size).toBeLessThanOrEqual(2)
  })

  it('redraws open bars about once a pixel, between five times and once a second, once when many are open', () => {
    expect(tickInterval({ start: 0, end: 5_000, width: 1000 })).toBe(200)
    expect(tickInterval({ start: 0, end: 600_000, width: 1000 })).toBe(600)
    expect(tickInterval({ start: 0, end: 3_600_000, width: 1000 })).toBe(1000)
    expect(tickInterval({ start: 0, end: 5_000, width: 1000 }, 150)).toBe(1000) // many open bars: once a second
  })

  it('measures how far the browser clock lags the server, never ahead', () => {
    const lanes = lanesOf([attempt('a', 'running', 5000, null)], ['a'])
    expect(clockLag(lanes, T0 + 2000)).toBe(3000)
    expect(clockLag(lanes, T0 + 9000)).toBe(0)
  })
})

describe('timeline keyboard', () => {
  const lanes: Lane[] = lanesOf(
    [
      attempt('a', 'failed', 0, 100),
      attempt('a', 'completed', 100, 200, { attempt: 2 }),
      attempt('b', 'completed', 190, 300),
      attempt('d', 'completed', 300, 400),
    ],
    ['a', 'b', 'c', 'd'],
  )

  it('moves along a lane and to the nearest bar of the next lane that has one', () => {
    expect(nextBar(lanes, 0, 0, 'ArrowRight')).toEqual([0, 1])
    expect(nextBar(lanes, 0, 1, 'ArrowRight')).toBeNull()
    expect(nextBar(lanes, 0, 1, 'ArrowDown')).toEqual([1, 0])
    expect(nextBar(lanes, 1, 0, 'ArrowUp')).toEqual([0, 1])
    expect(lanes.map((l) => l.node)).toEqual(['a', 'b', 'd', 'c'])
    expect(nextBar(lanes, 2, 0, 'ArrowDown')).toBeNull() // c never ran
    expect(nextBar(lanes, 0, 1, 'Home')).toEqual([0, 0])
  })
})
