/**
 * A map's or a loop's progress where the run is drawn: "412 done · 3 failed · 10 running of 1,000"
 * (or "iteration 3 of 5") over a thin bar, on the canvas node and at the top of its drawer.
 */
import { useShallow } from 'zustand/react/shallow'
import type { Config } from '../graph/types'
import { useEditor } from '../state/store'
import { formatCount, progressText, runProgress, type Progress } from './progress'

/** On a canvas node: its own subscription, in primitives (a shallow compare sees each change). */
export function NodeProgress({ id, kind, config }: { id: string; kind: string; config: Config }) {
  const p = useEditor(
    useShallow((s) => {
      const progress = runProgress(s.run, id, kind, config)
      return progress ? { ...progress, parts: progress.parts.join('\u0000') } : null
    }),
  )
  if (!p) return null
  return <ProgressView progress={{ ...p, parts: p.parts.split('\u0000') }} testid="node-progress" className="fd-node-progress" />
}

const pct = (n: number, total: number) => `${Math.min(100, (n / total) * 100).toFixed(3)}%`

export function ProgressView({ progress: p, testid, className }: { progress: Progress; testid?: string; className?: string }) {
  const ended = p.done + p.failed
  const what = p.kind === 'loop' ? 'iterations' : 'items'
  return (
    <div className={`fd-progress ${className ?? ''}`} data-testid={testid} data-kind={p.kind} data-done={p.done} data-failed={p.failed} data-running={p.running} data-total={p.total} title={progressText(p)}>
      <div className="fd-progress-text">
        {p.parts.map((part, i) => (
          <span key={i} className="fd-progress-part">
            {part}
            {i < p.parts.length - 1 && <span className="fd-muted"> · </span>}
          </span>
        ))}
        {p.of && <span className="fd-progress-part fd-muted">&nbsp;{p.of}</span>}
      </div>
      {p.total > 0 && (
        <div className="fd-progress-bar" role="progressbar" aria-label={`${formatCount(ended)} of ${formatCount(p.total)} ${what} ended`} aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={ended}>
          {p.done > 0 && <span className="seg-done" style={{ width: pct(p.done, p.total) }} />}
          {p.failed > 0 && <span className="seg-failed" style={{ width: pct(p.failed, p.total) }} />}
          {p.running > 0 && <span className="seg-running" style={{ width: pct(p.running, p.total) }} />}
        </div>
      )}
    </div>
  )
}
