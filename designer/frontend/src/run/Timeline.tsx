/**
 * The instance's attempts as bars over time, one lane per step (the geometry is in ./timeline).
 * Lanes are memoised: a clock tick redraws only the lanes with an open attempt and the "now"
 * line; a run update rebuilds the lanes, which is cheap next to the canvas' own work.
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { STATUS_LABEL, formatDuration } from '../canvas/look'
import { labelIndex, selectRunAttempt, useEditor } from '../state/store'
import { formatTime } from '../ui/when'
import { formatCount } from './progress'
import { StatusPill } from './RunDetails'
import { latestStep, type RunView } from './status'
import {
  LABEL_W,
  MIN_HIT_PX,
  barBox,
  buildLanes,
  clockLag,
  nextBar,
  queuedTime,
  runTime,
  segments,
  tickInterval,
  ticks,
  time,
  timeSpan,
  xAt,
  type Bar,
  type Lane,
  type Scale,
} from './timeline'

/** Room kept right of the track (the last tick's label) and the narrowest track drawn. */
const RIGHT_PAD = 28
const MIN_TRACK = 360
/** Bars at least this wide say their duration inside. */
const DURATION_PX = 64

export function Timeline({ zoom }: { zoom: number }) {
  const run = useEditor((s) => s.run)
  if (!run) return null
  return <TimelineView run={run} zoom={zoom} />
}

interface Tip {
  key: string
  left: number
  top: number
  above: boolean
}

function TimelineView({ run, zoom }: { run: RunView; zoom: number }) {
  const nodes = useEditor((s) => s.nodes)
  const runSelected = useEditor((s) => s.runSelected)
  const runAttempt = useEditor((s) => s.runAttempt)
  const focus = useEditor((s) => s.focus)
  const root = useRef<HTMLDivElement>(null)
  const scroller = useRef<HTMLDivElement>(null)

  const lanes = useMemo(() => {
    const labels = labelIndex(nodes)
    return buildLanes(run.steps, nodes.map((n) => n.id), (id) => labels.get(id) ?? id, (id) => run.nodeStatus.get(id) ?? 'pending', run.counts)
  }, [run, nodes])
  const barIndex = useMemo(() => {
    const index = new Map<string, [number, number]>()
    lanes.forEach((lane, i) => lane.bars.forEach((b, j) => index.set(b.key, [i, j])))
    return index
  }, [lanes])

  // the clock, in the server's time (a browser clock behind it would draw bars starting after now)
  // (only ever raised: a smaller estimate later would move now back and shrink the open bars)
  const lagSeen = useRef(0)
  const lag = useMemo(() => (lagSeen.current = Math.max(lagSeen.current, clockLag(lanes, Date.now()))), [lanes])
  const [clientNow, setClientNow] = useState(() => Date.now())
  const now = Math.max(clientNow, Date.now()) + lag

  const [viewW, setViewW] = useState(0)
  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    setViewW(el.clientWidth)
    const observer = new ResizeObserver(() => setViewW(el.clientWidth))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  const width = Math.round(Math.max(MIN_TRACK, viewW - LABEL_W - RIGHT_PAD) * zoom)

  const i = run.instance
  const span = timeSpan(lanes, { started: time(i.started_at) ?? time(i.created_at), finished: time(i.finished_at), final: run.final }, now, width)
  const scale: Scale = useMemo(() => ({ start: span.start, end: span.end, width }), [span.start, span.end, width])
  const drawNow = run.final ? span.end : now
  const axis = useMemo(() => ticks(scale), [scale])

  const openBars = useMemo(() => lanes.reduce((n, l) => n + (l.open ? l.bars.filter((b) => b.open).length : 0), 0), [lanes])
  const interval = tickInterval(scale, openBars)
  useEffect(() => {
    if (run.final) return
    const id = window.setInterval(() => setClientNow(Date.now()), interval)
    return () => window.clearInterval(id)
  }, [run.final, interval])

  // zooming keeps the middle of the view where it was
  const lastWidth = useRef(width)
  useLayoutEffect(() => {
    const el = scroller.current
    if (!el || lastWidth.current === width) return
    const view = el.clientWidth - LABEL_W
    const middle = (el.scrollLeft + view / 2) / lastWidth.current
    lastWidth.current = width
    el.scrollLeft = Math.max(0, middle * width - view / 2)
  }, [width])

  // the bar the side panel shows: the chosen attempt, else the node's latest
  const selectedKey = useMemo(() => {
    if (!runSelected) return null
    if (runAttempt !== null) return String(runAttempt)
    const latest = latestStep(run.steps.get(runSelected) ?? [])
    return latest?.id !== undefined ? String(latest.id) : null
  }, [run, runSelected, runAttempt])

  // one tab stop for all the bars; the arrow keys move between them
  const [active, setActive] = useState<string | null>(null)
  const tabKey = active && barIndex.has(active) ? active : selectedKey && barIndex.has(selectedKey) ? selectedKey : (lanes.find((l) => l.bars.length)?.bars[0].key ?? null)
  const tabLane = tabKey === null ? -1 : barIndex.get(tabKey)![0]

  const [tip, setTip] = useState<Tip | null>(null)
  const showTip = useCallback((key: string, el: HTMLElement | null) => {
    const box = root.current?.getBoundingClientRect()
    if (!el || !box) return setTip(null)
    const r = el.getBoundingClientRect()
    const above = r.bottom + 150 > box.bottom
    setTip({ key, left: Math.min(Math.max(r.left - box.left, 8), box.width - 300), top: above ? r.top - box.top - 6 : r.bottom - box.top + 6, above })
  }, [])
  const hideTip = useCallback(() => setTip(null), [])

  const choose = useCallback((bar: Bar) => {
    setActive(bar.key)
    selectRunAttempt(bar.node, bar.id)
  }, [])

  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const el = (e.target as HTMLElement).closest<HTMLElement>('[data-key]')
      const at = el && barIndex.get(el.dataset.key ?? '')
      if (!at) return
      const to = nextBar(lanes, at[0], at[1], e.key)
      if (!to) return
      e.preventDefault()
      e.stopPropagation()
      const key = lanes[to[0]].bars[to[1]].key
      setActive(key)
      scroller.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus()
    },
    [lanes, barIndex],
  )

  // "at charge" in the run's error (or any focusNode) brings the step's lane into view
  useEffect(() => {
    const el = scroller.current
    const lane = focus && lanes.find((l) => l.node === focus.id)
    if (!el || !lane) return
    const axisH = 32
    if (lane.top < el.scrollTop || lane.top + lane.height > el.scrollTop + el.clientHeight - axisH) el.scrollTop = Math.max(0, lane.top - el.clientHeight / 3)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus])

  // the browser tests and the benchmark wait for this, as for the canvas
  useEffect(() => {
    const id = window.requestAnimationFrame(() => {
      window.__flowdesk = { ...(window.__flowdesk ?? { nodeCount: 0 }), ready: true, nodeCount: lanes.length }
    })
    return () => window.cancelAnimationFrame(id)
  }, [lanes.length])

  const height = lanes.reduce((h, l) => h + l.height, 0)
  const started = lanes.some((l) => l.bars.length)
  const tipBar = tip && barIndex.get(tip.key)
  return (
    <div className="fd-timeline" ref={root} style={{ '--tl-label': `${LABEL_W}px` } as React.CSSProperties} data-testid="timeline" data-lanes={lanes.length}>
      {run.truncated && <Truncated run={run} lanes={lanes} />}
      <div className="fd-tl-scroll" ref={scroller} onScroll={hideTip}>
        <div className="fd-tl-sheet" style={{ width: LABEL_W + width + RIGHT_PAD }}>
          <div className="fd-tl-axis">
            <div className="fd-tl-corner">
              <span>Step</span>
              <span className="fd-muted" title="The axis counts from the run's start">
                from {formatTime(scale.start)}
              </span>
            </div>
            <div className="fd-tl-ticks" style={{ width }} aria-hidden="true">
              {axis.map((t) => (
                <span key={t.offset} className="fd-tl-tick" style={{ left: t.x }}>
                  {t.label}
                </span>
              ))}
            </div>
          </div>
          <div className="fd-tl-body">
            {/* one sticky column, not a sticky label per lane: 200 sticky boxes cost the compositor dearly on every tick */}
            <div className="fd-tl-labels">
              {lanes.map((lane) => (
                <LaneLabel key={lane.node} lane={lane} selected={lane.node === runSelected} />
              ))}
            </div>
            <div className="fd-tl-lanes" style={{ width: width + RIGHT_PAD, height }} onKeyDown={onKeyDown} role="list" aria-label="Attempts over time">
              <div className="fd-tl-grid" aria-hidden="true">
                {axis.map((t) => (
                  <span key={t.offset} style={{ left: t.x }} />
                ))}
              </div>
              {!run.final && <div className="fd-tl-now" style={{ left: xAt(scale, now) }} data-testid="timeline-now" title={`now, ${formatTime(now)}`} />}
              {lanes.map((lane, n) => (
                <LaneTrack
                  key={lane.node}
                  lane={lane}
                  scale={scale}
                  now={lane.open ? drawNow : 0}
                  selected={lane.node === runSelected}
                  selectedKey={lane.node === runSelected ? selectedKey : null}
                  tabKey={n === tabLane ? tabKey : null}
                  onChoose={choose}
                  onTip={showTip}
                  onTipEnd={hideTip}
                />
              ))}
            </div>
          </div>
        </div>
        {!started && (
          <p className="fd-tl-empty" data-testid="timeline-empty">
            No step has started yet.
          </p>
        )}
      </div>
      {tip && tipBar && <BarTip bar={lanes[tipBar[0]].bars[tipBar[1]]} label={lanes[tipBar[0]].label} now={drawNow} tip={tip} />}
    </div>
  )
}

interface LaneProps {
  lane: Lane
  scale: Scale
  /** 0 for a lane without an open attempt: a clock tick leaves it alone. */
  now: number
  selected: boolean
  selectedKey: string | null
  tabKey: string | null
  onChoose: (bar: Bar) => void
  onTip: (key: string, el: HTMLElement | null) => void
  onTipEnd: () => void
}

/**
 * Said above the lanes when the detail left attempts out (a map of thousands of items): how much is
 * drawn, and each cut node's full list of items, in its drawer.
 */
function Truncated({ run, lanes }: { run: RunView; lanes: readonly Lane[] }) {
  const attempts = [...run.counts.values()].reduce((n, c) => n + c.attempts, 0)
  const held = [...run.steps.values()].reduce((n, rows) => n + rows.length, 0)
  const cut = lanes.filter((l) => l.totalItems > l.items)
  return (
    <div className="fd-tl-truncated" role="note" data-testid="timeline-truncated">
      <span>
        Too many attempts to draw them all: {formatCount(held)} of {formatCount(attempts)}, the latest of each step and of the first items of the biggest.
      </span>
      {cut.map((l) => (
        <button key={l.node} type="button" className="fd-link-btn" onClick={() => selectRunAttempt(l.node)} data-testid="timeline-all-items" data-node={l.node}>
          All {formatCount(l.totalItems)} items of {l.label} →
        </button>
      ))}
    </div>
  )
}

const LaneLabel = memo(function LaneLabel({ lane, selected }: { lane: Lane; selected: boolean }) {
  const meta = lane.items
    ? lane.totalItems > lane.items
      ? `${formatCount(lane.items)} of ${formatCount(lane.totalItems)} items`
      : `${formatCount(lane.items)} item${lane.items === 1 ? '' : 's'}`
    : lane.attempts > 1
      ? `${lane.attempts} attempts`
      : ''
  return (
    <button
      type="button"
      tabIndex={-1}
      className={`fd-tl-label${selected ? ' is-selected' : ''}`}
      style={{ height: lane.height }}
      onClick={() => selectRunAttempt(lane.node)}
      title={`${lane.label} (${lane.node}): ${STATUS_LABEL[lane.status] ?? lane.status}${lane.totalItems > lane.items ? ` · ${formatCount(lane.items)} of its ${formatCount(lane.totalItems)} items drawn: click for all of them` : ''}`}
      data-node={lane.node}
      data-status={lane.status}
    >
      <span className={`fd-status-dot st-${lane.status}`} aria-hidden="true" />
      <span className="fd-tl-name">{lane.label}</span>
      {meta && <span className="fd-tl-meta">{meta}</span>}
    </button>
  )
})

const LaneTrack = memo(function LaneTrack({ lane, scale, now, selected, selectedKey, tabKey, onChoose, onTip, onTipEnd }: LaneProps) {
  return (
    <div
      className={`fd-tl-lane${selected ? ' is-selected' : ''}`}
      style={{ height: lane.height }}
      role="listitem"
      aria-label={lane.label}
      data-testid="timeline-lane"
      data-node={lane.node}
      data-status={lane.status}
    >
      {lane.bars.map((bar) => (
        <BarView
          key={bar.key}
          bar={bar}
          label={lane.label}
          tracks={lane.tracks}
          scale={scale}
          now={now}
          selected={bar.key === selectedKey}
          tabbable={bar.key === tabKey}
          onChoose={onChoose}
          onTip={onTip}
          onTipEnd={onTipEnd}
        />
      ))}
    </div>
  )
})

interface BarProps {
  bar: Bar
  label: string
  tracks: number
  scale: Scale
  now: number
  selected: boolean
  tabbable: boolean
  onChoose: (bar: Bar) => void
  onTip: (key: string, el: HTMLElement | null) => void
  onTipEnd: () => void
}

function BarView({ bar, label, tracks, scale, now, selected, tabbable, onChoose, onTip, onTipEnd }: BarProps) {
  const seg = segments(bar, scale, now)
  const box = barBox(bar.track, tracks)
  const drawn = seg.qw + seg.rw
  const pad = Math.max(0, (MIN_HIT_PX - drawn) / 2) // a thin bar still takes a click
  const left = seg.qx - pad
  const item = bar.item ? ` item ${bar.item},` : ''
  return (
    <button
      type="button"
      className={`fd-tl-bar${selected ? ' is-selected' : ''}`}
      style={{ left, width: drawn + 2 * pad, top: box.y, height: box.h }}
      tabIndex={tabbable ? 0 : -1}
      aria-label={`${label},${item} attempt ${bar.attempt}: ${STATUS_LABEL[bar.status] ?? bar.status}`}
      data-testid="timeline-bar"
      data-key={bar.key}
      data-node={bar.node}
      data-attempt={bar.attempt}
      data-item={bar.item || undefined}
      data-status={bar.status}
      onClick={() => onChoose(bar)}
      onPointerEnter={(e) => onTip(bar.key, e.currentTarget)}
      onPointerLeave={onTipEnd}
      onFocus={(e) => onTip(bar.key, e.currentTarget)}
      onBlur={onTipEnd}
    >
      {seg.qw > 0 && <span className="fd-tl-queued" style={{ left: pad, width: seg.qw }} />}
      {seg.rw > 0 && (
        <span className={`fd-tl-run st-${bar.status}${bar.waits ? ' is-wait' : ''}`} style={{ left: pad + seg.qw, width: seg.rw }}>
          {seg.rw >= DURATION_PX && box.h >= 14 && <span className="fd-tl-dur">{formatDuration(runTime(bar, now))}</span>}
        </span>
      )}
    </button>
  )
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

function BarTip({ bar, label, now, tip }: { bar: Bar; label: string; now: number; tip: Tip }) {
  const queuedFor = queuedTime(bar, now)
  const ranFor = runTime(bar, now)
  const error = bar.step.error
  return (
    <div className={`fd-tl-tip${tip.above ? ' above' : ''}`} style={{ left: tip.left, top: tip.top }} role="tooltip" data-testid="timeline-tip">
      <div className="fd-tl-tip-head">
        <strong>{label}</strong>
        {bar.item && <span className="fd-muted"> item {bar.item}</span>}
      </div>
      <div className="fd-tl-tip-status">
        <StatusPill status={bar.status} /> attempt {bar.attempt}
      </div>
      <dl className="fd-facts">
        {queuedFor > 0 && (
          <>
            <dt>{bar.attempt > 1 ? 'Queued (backoff)' : 'Queued'}</dt>
            <dd>{formatDuration(queuedFor)}</dd>
          </>
        )}
        {bar.start !== null && (
          <>
            <dt>Started</dt>
            <dd>{formatTime(bar.start)}</dd>
          </>
        )}
        {ranFor !== null && (
          <>
            <dt>{bar.waits ? 'Waited' : 'Took'}</dt>
            <dd>
              {formatDuration(ranFor)}
              {bar.open ? ' so far' : ''}
            </dd>
          </>
        )}
      </dl>
      {error && (
        <p className="fd-tl-tip-error">
          <strong>{error.type}</strong>: {firstLine(error.message)}
        </p>
      )}
    </div>
  )
}
