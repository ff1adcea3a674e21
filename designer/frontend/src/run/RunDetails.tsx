import type { StepRun } from '../api/types'
import { STATUS_LABEL } from '../canvas/look'
import { pretty } from '../graph/json'
import { selectRunAttempt, useEditor, useNodeLabel } from '../state/store'
import { attemptName, attemptsInOrder, chooseAttempt } from './attempt'
import { AttemptView } from './AttemptView'
import { HeartbeatBar } from '../operate/HeartbeatBar'
import { runningProgress } from '../operate/heartbeat'
import { openRunStep } from './drawer'
import { ItemsPanel } from './ItemsPanel'
import { PER_ITEM } from './progress'
import { latestStep, type RunView } from './status'

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
              <button type="button" className="fd-link-btn" onClick={() => openRunStep(e.node as string)}>
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

/** One step of a run: the attempt picker, and the chosen attempt in full (the latest unless one was chosen). */
export function StepDetails({ run, id, onClose }: { run: RunView; id: string; onClose?: () => void }) {
  const label = useNodeLabel(id)
  const kind = useEditor((s) => s.nodes.find((n) => n.id === id)?.data.kind ?? '')
  const chosen = useEditor((s) => s.runAttempt)
  const attempts = attemptsInOrder(run.steps.get(id) ?? [])
  const attempt = chooseAttempt(attempts, chosen)
  const status = run.nodeStatus.get(id) ?? 'pending'
  return (
    <section className="fd-step-details" data-testid="step-details" data-node={id} data-attempt={attempt?.attempt}>
      <header className="fd-step-head">
        <h2 className="fd-inspector-type">{label}</h2> <code>{id}</code> <StatusPill status={status} testid="step-status" />
        {onClose && (
          <button type="button" className="fd-icon-btn fd-step-close" aria-label="Close the step (Esc)" title="Close (Esc)" onClick={onClose} data-testid="step-close">
            ×
          </button>
        )}
      </header>
      {PER_ITEM.has(kind) && attempt ? (
        <ItemsPanel key={id} run={run} id={id} kind={kind} />
      ) : (
        <>
          {attempts.length > 1 && attempt && <AttemptPicker node={id} attempts={attempts} shown={attempt} />}
          {attempt ? (
            <AttemptView instanceId={run.instanceId} attempt={attempt} />
          ) : (
            <p className="fd-muted">{status === 'not_run' ? 'Not reached: the run ended before it got here.' : 'Not started yet.'}</p>
          )}
        </>
      )}
    </section>
  )
}

/** Up to this many attempts are buttons to scan at a glance; more (a fan-out) are a list to pick from. */
const PICKER_BUTTONS = 12

export function AttemptPicker({ node, attempts, shown, name = attemptName }: { node: string; attempts: StepRun[]; shown: StepRun; name?: (a: StepRun) => string }) {
  const latest = latestStep(attempts)
  // picking the latest follows the step: the next retry is shown as it starts
  const pick = (a: StepRun | undefined) => selectRunAttempt(node, !a || a === latest ? null : (a.id ?? null))
  if (attempts.length > PICKER_BUTTONS) {
    return (
      <label className="fd-attempt-select">
        <span className="fd-label">Attempt ({attempts.length})</span>
        <select value={attempts.indexOf(shown)} onChange={(e) => pick(attempts[Number(e.target.value)])} data-testid="attempt-select">
          {attempts.map((a, i) => (
            <option key={a.id ?? i} value={i}>
              {name(a)} · {STATUS_LABEL[a.status] ?? a.status}
            </option>
          ))}
        </select>
      </label>
    )
  }
  return (
    <div className="fd-attempt-picker" role="group" aria-label="Attempts">
      {attempts.map((a, i) => (
        <button
          key={a.id ?? i}
          type="button"
          className={a === shown ? 'on' : ''}
          aria-pressed={a === shown}
          onClick={() => pick(a)}
          data-testid="attempt-tab"
          data-attempt={a.attempt}
          data-status={a.status}
        >
          <span className={`fd-status-dot st-${a.status}`} aria-hidden="true" />
          {name(a)} <span className="fd-muted">{STATUS_LABEL[a.status] ?? a.status}</span>
        </button>
      ))}
    </div>
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
            aria-current={selected === id ? 'true' : undefined}
            onClick={() => openRunStep(id)}
            data-testid="step-row"
            data-node={id}
          >
            <span className={`fd-status-dot st-${status}`} />
            <StepName id={id} />
            <span className="fd-muted">{STATUS_LABEL[status] ?? status}</span>
            <StepHeartbeat step={latestStep(run.steps.get(id) ?? [])} />
          </button>
        </li>
      ))}
    </ul>
  )
}

function StepHeartbeat({ step }: { step: StepRun | undefined }) {
  const fraction = runningProgress(step)
  return fraction === null ? null : <HeartbeatBar fraction={fraction} className="fd-step-heartbeat" />
}

function StepName({ id }: { id: string }) {
  return <span className="fd-step-name">{useNodeLabel(id)}</span>
}
