import { OpenTasksSection } from '../approval/OpenTasksSection'
import { formatDuration } from '../canvas/look'
import { QueriesSection } from '../operate/QueriesSection'
import { SignalsSection } from '../operate/SignalsSection'
import { useHeartbeatRefresh } from '../operate/useHeartbeatRefresh'
import { useEditor } from '../state/store'
import { formatWhen } from '../ui/when'
import { InstanceControls } from './InstanceControls'
import { formatCount } from './progress'
import { instanceUrl } from './RunDialog'
import { RunError, RunSummary, StatusPill, StepList } from './RunDetails'
import { ValueView } from './ValueView'

/** The instance page's side panel: the instance and every step (a step opens in the drawer). */
export function InstancePanel() {
  const run = useEditor((s) => s.run)
  const runError = useEditor((s) => s.runError)
  const live = useEditor((s) => s.runLive)
  useHeartbeatRefresh()
  if (!run) return null
  const i = run.instance
  const duration = i.duration_s !== null && i.duration_s !== undefined ? formatDuration(i.duration_s * 1000) : ''
  return (
    <div className="fd-instance-panel" data-testid="instance-panel">
      <section className="fd-pad">
        <div className="fd-run-head">
          <StatusPill status={run.status} testid="instance-status" />
          {!run.final && <span className="fd-spinner" aria-label="running" />}
          {!run.final && live && <span className="fd-muted" data-testid="live-mode">{live === 'socket' ? 'live' : 'reconnecting… (checking every second)'}</span>}
        </div>
        {runError && <p className="fd-warn-text">{runError}</p>}
        <InstanceControls instance={i} />
        <dl className="fd-facts">
          <dt>Instance</dt>
          <dd>
            <code>{i.id}</code>
          </dd>
          <dt>Template</dt>
          <dd>
            {i.template} v{i.version}
          </dd>
          {i.parent && (
            <>
              <dt>Started by</dt>
              <dd>
                step <code>{i.parent.step}</code> of{' '}
                <a className="fd-link" href={instanceUrl(i.parent.instance)} data-testid="parent-link">
                  <code>{i.parent.instance.slice(0, 8)}</code>
                </a>
              </dd>
            </>
          )}
          {!!i.children?.length && (
            <>
              <dt>Children</dt>
              <dd data-testid="children">
                {i.children.map((c) => (
                  <div key={c.id}>
                    <a className="fd-link" href={instanceUrl(c.id)}>
                      <code>{c.id.slice(0, 8)}</code>
                    </a>{' '}
                    by <code>{c.step}</code>
                    {c.item_key && <span className="fd-muted">[{c.item_key}]</span>} <StatusPill status={c.status} />
                  </div>
                ))}
                {(i.children_count ?? 0) > i.children.length && (
                  <div className="fd-muted" data-testid="children-more">
                    and {formatCount((i.children_count ?? 0) - i.children.length)} more: each step's drawer links to the ones it started
                  </div>
                )}
              </dd>
            </>
          )}
          {i.started_at && (
            <>
              <dt>Started</dt>
              <dd>{formatWhen(i.started_at)}</dd>
            </>
          )}
          {i.finished_at && (
            <>
              <dt>Finished</dt>
              <dd>{formatWhen(i.finished_at)}</dd>
            </>
          )}
          {duration && (
            <>
              <dt>Duration</dt>
              <dd>{duration}</dd>
            </>
          )}
          {i.saga && (
            <>
              <dt>Compensation</dt>
              <dd data-testid="instance-saga" data-state={i.saga.state}>
                {i.saga.state === 'compensating' ? 'undoing completed steps' : i.saga.state === 'failed' ? 'compensation failed (Retry runs it again)' : 'completed steps undone'}
                {typeof i.saga.compensated === 'number' && <span className="fd-muted"> · {i.saga.compensated} undone</span>}
              </dd>
            </>
          )}
        </dl>
        <RunSummary run={run} />
        <RunError error={i.error} testid="instance-error" />
        {!run.final && <OpenTasksSection instanceId={i.id} />}
        <ValueView label="Input" value={i.input} version="input" fileName={`${i.id}-input.json`} open={false} testid="instance-input" />
        {run.final && (i.output !== null || run.status === 'completed') && <ValueView label="Output" value={i.output} version={run.status} fileName={`${i.id}-output.json`} testid="instance-output" />}
        <QueriesSection instanceId={i.id} names={i.queries ?? []} />
        <SignalsSection instanceId={i.id} />
      </section>
      <section className="fd-pad">
        <p className="fd-label">Steps</p>
        <StepList run={run} />
      </section>
    </div>
  )
}
