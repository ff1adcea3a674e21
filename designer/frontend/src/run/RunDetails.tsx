import { useState } from 'react'
import type { StepRun } from '../api/types'
import { STATUS_LABEL, formatDuration } from '../canvas/look'
import { pretty } from '../graph/json'
import { focusNode, useEditor, useNodeLabel } from '../state/store'
import { formatWhen } from '../ui/when'
import { latestStep, type RunView } from './status'

const LIMIT = 20_000

/** A JSON value as text (escaped by React), long values folded. */
export function JsonBlock({ value, testid }: { value: unknown; testid?: string }) {
  const [all, setAll] = useState(false)
  const text = value === undefined ? '' : typeof value === 'string' ? value : pretty(value)
  const long = text.length > LIMIT
  return (
    <>
      <pre className="fd-pre" data-testid={testid}>
        {long && !all ? `${text.slice(0, LIMIT)}…` : text}
      </pre>
      {long && (
        <button type="button" className="fd-link-btn" onClick={() => setAll(!all)}>
          {all ? 'Fold' : `Show all ${text.length.toLocaleString()} characters`}
        </button>
      )}
    </>
  )
}

export function StatusPill({ status, testid }: { status: string; testid?: string }) {
  return (
    <span className={`fd-pill st-${status}`} data-testid={testid} data-status={status}>
      {STATUS_LABEL[status] ?? status}
    </span>
  )
}

/** An instance's error: "Type: message" and the step it came from, or the raw value. */
export function RunError({ error, testid }: { error: unknown; testid?: string }) {
  if (error === null || error === undefined || error === '') return null
  const e = error as { type?: unknown; message?: unknown; node?: unknown }
  const structured = typeof error === 'object' && !Array.isArray(error) && typeof e.message === 'string'
  return (
    <div className="fd-run-error" role="alert" data-testid={testid}>
      {structured ? (
        <>
          {typeof e.type === 'string' && <strong>{e.type}: </strong>}
          {e.message as string}
          {typeof e.node === 'string' && (
            <>
              {' '}
              <button type="button" className="fd-link-btn" onClick={() => selectRunStep(e.node as string)}>
                at {e.node as string}
              </button>
            </>
          )}
        </>
      ) : typeof error === 'string' ? (
        error
      ) : (
        pretty(error)
      )}
    </div>
  )
}

function selectRunStep(id: string) {
  focusNode(id)
  useEditor.setState({ runSelected: id })
}

/** One node of a run: its attempts, output and error. */
export function StepDetails({ run, id }: { run: RunView; id: string }) {
  const label = useNodeLabel(id)
  const attempts: StepRun[] = run.steps.get(id) ?? []
  const latest = latestStep(attempts)
  const status = run.nodeStatus.get(id) ?? 'pending'
  return (
    <section className="fd-step-details" data-testid="step-details" data-node={id}>
      <header className="fd-step-head">
        <span className="fd-inspector-type">{label}</span> <code>{id}</code> <StatusPill status={status} testid="step-status" />
      </header>
      {!latest && <p className="fd-muted">{status === 'not_run' ? 'Not reached: the run ended before it got here.' : 'Not started yet.'}</p>}
      {latest && (
        <>
          <dl className="fd-facts">
            {latest.started_at && (
              <>
                <dt>Started</dt>
                <dd>{formatWhen(latest.started_at)}</dd>
              </>
            )}
            {latest.duration_ms !== null && (
              <>
                <dt>Duration</dt>
                <dd>{formatDuration(latest.duration_ms)}</dd>
              </>
            )}
            {latest.ports && latest.ports.length > 0 && (
              <>
                <dt>{latest.ports.length > 1 ? 'Ports taken' : 'Port taken'}</dt>
                <dd>
                  {latest.ports.map((p, i) => (
                    <span key={p}>
                      {i > 0 && ', '}
                      <code>{p}</code>
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
          {latest.error && (
            <div className="fd-run-error" role="alert" data-testid="step-error">
              <strong>{latest.error.type}</strong>: {latest.error.message}
            </div>
          )}
          {latest.status === 'skipped' && <p className="fd-muted">Skipped: the path to this step was not taken.</p>}
          {latest.output !== null && latest.output !== undefined && (
            <>
              <p className="fd-label">Output</p>
              <JsonBlock value={latest.output} testid="step-output" />
            </>
          )}
          {latest.input !== undefined && latest.input !== null && (
            <details>
              <summary>Input</summary>
              <JsonBlock value={latest.input} />
            </details>
          )}
          {attempts.length > 1 && (
            <>
              <p className="fd-label">Attempts</p>
              <table className="fd-attempts">
                <tbody>
                  {attempts.map((a, i) => (
                    <tr key={i}>
                      <td>#{a.attempt}</td>
                      <td>
                        <StatusPill status={a.status} />
                      </td>
                      <td>{formatDuration(a.duration_ms)}</td>
                      <td className="fd-muted">{a.error ? `${a.error.type}: ${a.error.message}` : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  )
}

/** The run's path: how many steps ended how, and each step to jump to. */
export function RunSummary({ run }: { run: RunView }) {
  const counts = new Map<string, number>()
  for (const st of run.nodeStatus.values()) counts.set(st, (counts.get(st) ?? 0) + 1)
  const order = ['completed', 'running', 'scheduled', 'waiting', 'failed', 'timed_out', 'skipped', 'cancelled', 'compensated', 'pending', 'not_run']
  return (
    <div className="fd-run-counts" data-testid="run-counts">
      {order
        .filter((k) => counts.get(k))
        .map((k) => (
          <span key={k} className={`fd-pill st-${k}`}>
            {counts.get(k)} {(STATUS_LABEL[k] ?? k).toLowerCase()}
          </span>
        ))}
    </div>
  )
}

export function StepList({ run }: { run: RunView }) {
  const selected = useEditor((s) => s.runSelected)
  const rows = [...run.nodeStatus]
  const started = (id: string) => latestStep(run.steps.get(id) ?? [])?.started_at ?? latestStep(run.steps.get(id) ?? [])?.scheduled_at ?? '~'
  // by when they started (ISO times compare as text); steps that never ran last
  rows.sort(([a], [b]) => (started(a) < started(b) ? -1 : started(a) > started(b) ? 1 : 0))
  return (
    <ul className="fd-step-list">
      {rows.map(([id, status]) => (
        <li key={id}>
          <button
            type="button"
            className={`fd-step-row ${selected === id ? 'on' : ''}`}
            onClick={() => selectRunStep(id)}
          >
            <span className={`fd-status-dot st-${status}`} />
            <StepName id={id} />
            <span className="fd-muted">{STATUS_LABEL[status] ?? status}</span>
          </button>
        </li>
      ))}
    </ul>
  )
}

function StepName({ id }: { id: string }) {
  return <span className="fd-step-name">{useNodeLabel(id)}</span>
}
