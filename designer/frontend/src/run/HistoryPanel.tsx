import { useEffect, useMemo, useState } from 'react'
import { useEditor } from '../state/store'
import { formatTime, formatWhen } from '../ui/when'
import { eventChoices, filterEvents, type InstanceEvent } from './events'
import { loadHistory, useHistory } from './history'

const summary = (data: unknown): string => {
  if (data === null || data === undefined) return ''
  const text = JSON.stringify(data)
  if (text === '{}') return ''
  return text.length > 160 ? `${text.slice(0, 160)}…` : text
}

const said = (data: unknown) => (data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {})

/** An operator's resume is the instance running again: said as what they did. */
function eventLabel(e: InstanceEvent): string {
  if (e.type === 'instance_running' && typeof said(e.data).by === 'string' && said(e.data).by) return 'instance resumed'
  return e.type.replaceAll('_', ' ')
}

/** The event's data less what `EventWho` already says in words. */
function shownData(e: InstanceEvent): unknown {
  const data = said(e.data)
  if (!('by' in data) && !e.type.startsWith('signal_')) return e.data
  const rest = { ...data }
  delete rest.by
  if (e.type.startsWith('signal_')) {
    delete rest.name
    delete rest.seq
  }
  return rest
}

/** Who did it (an operator's pause, resume, cancel, retry or signal) and which signal: said in words. */
function EventWho({ event }: { event: InstanceEvent }) {
  const data = (event.data ?? {}) as Record<string, unknown>
  const by = typeof data.by === 'string' && data.by ? data.by : null
  const signal = event.type.startsWith('signal_') && typeof data.name === 'string' ? data.name : null
  if (!by && !signal) return null
  return (
    <span className="fd-history-who" data-testid="history-who">
      {signal && (
        <>
          {' '}
          <code>{signal}</code>
          {typeof data.seq === 'number' && <span className="fd-muted"> #{data.seq}</span>}
        </>
      )}
      {by && (
        <>
          {' '}
          by <strong>{by}</strong>
        </>
      )}
    </span>
  )
}

/** Every event of the instance, oldest first, live, filterable by step and kind. */
export function HistoryPanel() {
  const id = useEditor((s) => s.boot.instance)
  const { events, loading, error, truncated } = useHistory()
  const [step, setStep] = useState('')
  const [kind, setKind] = useState('')
  useEffect(() => void loadHistory(id), [id])
  const { steps, kinds } = useMemo(() => eventChoices(events), [events])
  const shown = useMemo(() => filterEvents(events, { step, kind }), [events, step, kind])
  return (
    <div className="fd-pad fd-history" data-testid="history-panel">
      <div className="fd-history-filters">
        <label>
          Step{' '}
          <select value={step} onChange={(e) => setStep(e.target.value)} data-testid="history-step">
            <option value="">all</option>
            {steps.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="history-kind">
            <option value="">all</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <span className="fd-muted" data-testid="history-count">
          {shown.length === events.length ? `${events.length} events` : `${shown.length} of ${events.length} events`}
        </span>
      </div>
      {error && (
        <p className="fd-bad-text" role="alert">
          {error}
        </p>
      )}
      {loading && !events.length && <p className="fd-muted">Loading the history…</p>}
      {truncated && <p className="fd-warn-text">Only the first 20,000 events are shown; the API has the rest (…/events/?after=N).</p>}
      <ol className="fd-history-list" data-testid="history-list">
        {shown.map((e) => (
          <li key={e.seq} data-testid="history-event" data-type={e.type} data-node={e.node}>
            <span className="fd-muted" title={formatWhen(e.created_at)}>
              {formatTime(e.created_at)}
            </span>{' '}
            <strong>{eventLabel(e)}</strong>
            {e.node && (
              <>
                {' '}
                <code>{e.node}</code>
              </>
            )}
            {e.attempt !== null && e.attempt > 1 && <span className="fd-muted"> · attempt {e.attempt}</span>}
            <EventWho event={e} />
            {summary(shownData(e)) && <div className="fd-history-data">{summary(shownData(e))}</div>}
          </li>
        ))}
      </ol>
    </div>
  )
}
