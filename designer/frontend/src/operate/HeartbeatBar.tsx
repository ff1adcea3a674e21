/** A running step's progress from its handler's last heartbeat (`ctx.heartbeat({"progress": 0.4})`). */
import { useEditor } from '../state/store'
import { latestStep } from '../run/status'
import { percent, runningProgress } from './heartbeat'

export function HeartbeatBar({ fraction, testid = 'heartbeat-progress', className = '' }: { fraction: number; testid?: string; className?: string }) {
  const text = percent(fraction)
  return (
    <div className={`fd-heartbeat ${className}`} data-testid={testid} data-progress={fraction} title={`${text} done, as the handler reported with its last heartbeat`}>
      <div className="fd-progress-bar" role="progressbar" aria-label="progress reported by the step" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <span className="seg-running" style={{ width: text }} />
      </div>
      <span className="fd-heartbeat-text">{text}</span>
    </div>
  )
}

/** On a canvas node: its own subscription, a number (a shallow compare sees each change). */
export function NodeHeartbeat({ id }: { id: string }) {
  const fraction = useEditor((s) => runningProgress(s.run ? latestStep(s.run.steps.get(id) ?? []) : undefined))
  if (fraction === null) return null
  return <HeartbeatBar fraction={fraction} testid="node-heartbeat" className="fd-node-heartbeat" />
}
