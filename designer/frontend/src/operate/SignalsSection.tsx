/** The signals sent to the instance, newest first: who sent each, and whether a node took it. */
import { enc } from '../api/client'
import type { SignalInfo } from '../api/types'
import { formatTime, formatWhen } from '../ui/when'
import { useInstanceRead } from './useInstanceRead'


const short = (payload: unknown): string => {
  if (payload === null || payload === undefined) return ''
  const text = JSON.stringify(payload)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

export function SignalsSection({ instanceId }: { instanceId: string }) {
  const { data, error } = useInstanceRead<{ count: number; results: SignalInfo[] }>(`instances/${enc(instanceId)}/signals/?order=-seq`)
  if (!data?.count && !error) return null
  return (
    <section className="fd-operate" data-testid="signals-section" aria-labelledby="fd-signals-title">
      <h3 className="fd-label" id="fd-signals-title">
        Signals {data ? <span className="fd-muted">({data.count})</span> : null}
      </h3>
      {error && <p className="fd-bad-text">{error}</p>}
      <ul className="fd-signal-list">
        {(data?.results ?? []).map((sg) => (
          <li key={sg.seq} data-testid="signal-row" data-name={sg.name} data-delivered={sg.delivered}>
            <div className="fd-signal-head">
              <span className={`fd-pill ${sg.delivered ? 'st-completed' : 'st-waiting'}`}>{sg.delivered ? 'delivered' : 'buffered'}</span> <code>{sg.name}</code>{' '}
              <span className="fd-muted">#{sg.seq}</span>
            </div>
            <div className="fd-muted fd-signal-meta">
              sent <span title={formatWhen(sg.created_at)}>{formatTime(sg.created_at)}</span>
              {sg.sent_by && <> by {sg.sent_by}</>}
              {sg.delivered && sg.node && (
                <>
                  {' '}· to <code>{sg.node}</code> <span title={formatWhen(sg.delivered_at)}>{formatTime(sg.delivered_at)}</span>
                </>
              )}
              {!sg.delivered && <> · waits for a signal node</>}
            </div>
            {short(sg.payload) && <div className="fd-history-data">{short(sg.payload)}</div>}
          </li>
        ))}
      </ul>
      {data && data.count > data.results.length && <p className="fd-muted">The latest {data.results.length} of {data.count}; the API lists them all (…/signals/).</p>}
    </section>
  )
}
