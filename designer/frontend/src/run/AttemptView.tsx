import { useEffect, useState } from 'react'
import type { StepRun } from '../api/types'
import { formatDuration } from '../canvas/look'
import { formatTime, formatWhen } from '../ui/when'
import { attemptTimings, downloadName, momentText } from './attempt'
import { itemNumber } from './progress'
import { instanceUrl } from './RunDialog'
import { ValueView } from './ValueView'
import { HeartbeatBar } from '../operate/HeartbeatBar'
import { progressOf } from '../operate/heartbeat'

/** The clock, once a second while `running` (a component that shows a live time re-renders alone). */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!running) return
    setNow(Date.now())
    const timer = window.setInterval(() => setNow(Date.now()), 1000)
    return () => window.clearInterval(timer)
  }, [running])
  return now
}

/** One attempt in full: its error and traceback, worker, timings, ports, input and output. */
export function AttemptView({ instanceId, attempt }: { instanceId: string; attempt: StepRun }) {
  const version = `${attempt.id ?? attempt.attempt}:${attempt.status}:${attempt.finished_at ?? ''}`
  const hasValue = (v: unknown) => v !== null && v !== undefined
  return (
    <div className="fd-attempt" data-status={attempt.status}>
      {attempt.error && <AttemptError error={attempt.error} />}
      <dl className="fd-facts">
        {attempt.item_key &&
          (attempt.type === 'loop' ? (
            <>
              <dt>Iteration</dt>
              <dd title={`item key ${attempt.item_key}`}>{itemNumber('loop', attempt.item_key)}</dd>
            </>
          ) : (
            <>
              <dt>Item</dt>
              <dd>
                <code>{attempt.item_key}</code>
              </dd>
            </>
          ))}
        {attempt.child && (
          <>
            <dt>Child instance</dt>
            <dd>
              <a href={instanceUrl(attempt.child)} data-testid="step-child" title={attempt.child}>
                <code>{attempt.child.slice(0, 8)}</code> ↗
              </a>
            </dd>
          </>
        )}
        {attempt.worker && (
          <>
            <dt>Worker</dt>
            <dd>
              <code data-testid="step-worker">{attempt.worker}</code>
            </dd>
          </>
        )}
        {attempt.compensation && (
          <>
            <dt>Compensation</dt>
            <dd data-testid="step-compensation">an attempt of its compensate handler (saga), undoing this step</dd>
          </>
        )}
        <AttemptTimings attempt={attempt} />
        {attempt.heartbeat_at && (
          <>
            <dt>Heartbeat</dt>
            <dd data-testid="step-heartbeat">
              {progressOf(attempt.heartbeat) !== null && <HeartbeatBar fraction={progressOf(attempt.heartbeat)!} testid="step-heartbeat-progress" />}
              <span title={formatWhen(attempt.heartbeat_at)}>last at {formatTime(attempt.heartbeat_at)}</span>
              {attempt.heartbeat !== null && attempt.heartbeat !== undefined && <div className="fd-history-data">{JSON.stringify(attempt.heartbeat).slice(0, 300)}</div>}
            </dd>
          </>
        )}
        {attempt.ports && attempt.ports.length > 0 && (
          <>
            <dt>{attempt.ports.length > 1 ? 'Ports taken' : 'Port taken'}</dt>
            <dd>
              {attempt.ports.map((p, i) => (
                <span key={p}>
                  {i > 0 && ', '}
                  <code>{p}</code>
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {attempt.status === 'skipped' && <p className="fd-muted">Skipped: the path to this step was not taken.</p>}
      {hasValue(attempt.input) && (
        <ValueView key={`in-${attempt.id ?? attempt.attempt}`} label="Input" value={attempt.input} version={version} fileName={downloadName(instanceId, attempt, 'input')} testid="step-input" />
      )}
      {hasValue(attempt.output) && (
        <ValueView key={`out-${attempt.id ?? attempt.attempt}`} label="Output" value={attempt.output} version={version} fileName={downloadName(instanceId, attempt, 'output')} testid="step-output" />
      )}
    </div>
  )
}

/** Type and message for everyone; the traceback for those the API sends it to (operators and staff). */
function AttemptError({ error }: { error: NonNullable<StepRun['error']> }) {
  return (
    <>
      <div className="fd-run-error" role="alert" data-testid="step-error">
        <strong>{error.type}</strong>: {error.message}
      </div>
      {'traceback' in error ? (
        error.traceback && (
          <details className="fd-traceback" data-testid="step-traceback">
            <summary>Traceback</summary>
            <pre className="fd-pre">{error.traceback}</pre>
          </details>
        )
      ) : (
        <p className="fd-help" data-testid="traceback-hidden">
          The traceback is shown to operators and staff.
        </p>
      )}
    </>
  )
}

function AttemptTimings({ attempt }: { attempt: StepRun }) {
  const now = useNow(attemptTimings(attempt, 0).live)
  const t = attemptTimings(attempt, now)
  const reference = attempt.scheduled_at ?? attempt.started_at
  const moment = (label: string, value: string | null | undefined) =>
    value && (
      <>
        <dt>{label}</dt>
        <dd title={value}>{label === 'Scheduled' ? formatWhen(value) : momentText(value, reference)}</dd>
      </>
    )
  const started = !!attempt.started_at
  return (
    <>
      {moment('Scheduled', attempt.scheduled_at)}
      {moment('Started', attempt.started_at)}
      {moment('Finished', attempt.finished_at)}
      {t.queuedMs !== null && attempt.status !== 'skipped' && (
        <>
          <dt title="From scheduled to started: the wait for a worker, and a retry's backoff">{started ? 'Queued' : 'Queued for'}</dt>
          <dd data-testid={started ? undefined : 'step-elapsed'} data-ms={started ? undefined : Math.round(t.queuedMs)}>
            {formatDuration(t.queuedMs)}
          </dd>
        </>
      )}
      {t.ranMs !== null && started && attempt.status !== 'skipped' && (
        <>
          <dt>{t.live ? (attempt.status === 'waiting' ? 'Waiting for' : 'Running for') : 'Ran'}</dt>
          <dd data-testid={t.live ? 'step-elapsed' : 'step-ran'} data-ms={Math.round(t.ranMs)}>
            {formatDuration(t.ranMs)}
            {t.live && <span className="fd-live-dot" aria-hidden="true" />}
          </dd>
        </>
      )}
    </>
  )
}
