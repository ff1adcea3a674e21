/**
 * The instance page's canvas area: the live graph or the timeline of attempts, chosen with a
 * switch and kept in the address (#timeline), so a link opens the view it was copied from.
 */
import { useEffect, useState } from 'react'
import { Canvas } from '../canvas/Canvas'
import { Icon } from '../ui/icons'
import { Breadcrumb } from './Lineage'
import { StepDrawer } from './StepDrawer'
import { Timeline } from './Timeline'

export type InstanceViewName = 'graph' | 'timeline'

const viewInHash = (): InstanceViewName => (window.location.hash === '#timeline' ? 'timeline' : 'graph')
const ZOOMS = [1, 2, 4, 8, 16, 32, 64]

export function InstanceCanvas() {
  const [view, setView] = useState<InstanceViewName>(viewInHash)
  const [zoom, setZoom] = useState(1)
  useEffect(() => {
    const follow = () => setView(viewInHash())
    window.addEventListener('hashchange', follow)
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  const choose = (next: InstanceViewName) => {
    setView(next)
    const { pathname, search } = window.location
    // replaced, not pushed: Back leaves the page instead of flipping views
    window.history.replaceState(window.history.state, '', next === 'timeline' ? `${pathname}${search}#timeline` : `${pathname}${search}`)
  }
  const z = ZOOMS.indexOf(zoom)
  return (
    <>
      <Breadcrumb />
      <div className="fd-viewbar">
        <div className="fd-seg fd-viewswitch" role="group" aria-label="View">
          {(['graph', 'timeline'] as const).map((v) => (
            <button key={v} type="button" className={view === v ? 'on' : ''} aria-pressed={view === v} onClick={() => choose(v)} data-testid={`view-${v}`}>
              <Icon name={v} size={14} />
              {v === 'graph' ? 'Graph' : 'Timeline'}
            </button>
          ))}
        </div>
        {view === 'timeline' && (
          <>
            <Legend />
            <div className="fd-seg fd-tl-zoom" role="group" aria-label="Zoom the timeline">
              <button type="button" onClick={() => setZoom(ZOOMS[z - 1])} disabled={z <= 0} aria-label="Zoom out" title="Zoom out">
                −
              </button>
              <button type="button" onClick={() => setZoom(1)} disabled={z === 0} title="Fit the whole run" data-testid="timeline-fit">
                Fit
              </button>
              <button type="button" onClick={() => setZoom(ZOOMS[z + 1])} disabled={z >= ZOOMS.length - 1} aria-label="Zoom in" title="Zoom in" data-testid="timeline-zoom-in">
                +
              </button>
            </div>
          </>
        )}
      </div>
      <div className="fd-stage">
        {view === 'timeline' ? <Timeline zoom={zoom} /> : <Canvas />}
        <StepDrawer />
      </div>
    </>
  )
}

const LEGEND: [string, string, string][] = [
  ['fd-tl-queued', 'Queued', 'Scheduled but not started: waiting for a worker, or a retry waiting out its backoff'],
  ['fd-tl-run st-running', 'Running', ''],
  ['fd-tl-run st-waiting is-wait', 'Waiting', 'A wait, approval or signal step: its time is spent waiting, not working'],
  ['fd-tl-run st-completed', 'Completed', ''],
  ['fd-tl-run st-failed', 'Failed', ''],
  ['fd-tl-run st-skipped', 'Skipped', ''],
]

function Legend() {
  return (
    <ul className="fd-tl-legend" aria-label="Legend">
      {LEGEND.map(([cls, text, title]) => (
        <li key={text} title={title || undefined}>
          <span className={`fd-tl-swatch ${cls}`} aria-hidden="true" />
          {text}
        </li>
      ))}
    </ul>
  )
}
