import { DiffLegend } from '../inspector/Inspector'
import { clearRun } from '../run/testRun'
import { closeCompare, setRightTab, useEditor } from '../state/store'
import { copyMyGraph, discardBackup, overwriteWithMine, reloadTheirs, restoreBackup, saveNow } from '../versions/persistence'
import { formatTime, formatWhen } from './when'
import { StatusPill } from '../run/RunDetails'
import { Toasts } from './Toasts'

function ConflictBanner() {
  const save = useEditor((s) => s.save)
  if (save.status !== 'conflict') return null
  const who = save.conflict?.updated_by || 'Someone'
  const when = save.conflict?.updated_at ? formatTime(save.conflict.updated_at) : 'just now'
  return (
    <div className="fd-banner bad" role="alert" data-testid="conflict-banner">
      <div className="fd-banner-text">
        <strong>
          {who} saved this draft at {when}
        </strong>{' '}
        — your changes were not saved. They are still here (and kept in this browser).
      </div>
      <div className="fd-banner-actions">
        <button type="button" className="fd-btn" onClick={() => void reloadTheirs()} data-testid="btn-reload-theirs">
          Reload theirs
        </button>
        <button type="button" className="fd-btn" onClick={() => void copyMyGraph()} data-testid="btn-copy-mine">
          Copy my graph
        </button>
        <button type="button" className="fd-btn danger" onClick={overwriteWithMine} data-testid="btn-overwrite" title="Save your graph over theirs">
          Overwrite with mine
        </button>
      </div>
    </div>
  )
}

function SaveErrorBanner() {
  const save = useEditor((s) => s.save)
  if (save.status !== 'error' && save.status !== 'offline') return null
  return (
    <div className={`fd-banner ${save.status === 'error' ? 'bad' : 'warn'}`} role="status" data-testid="save-error-banner">
      <div className="fd-banner-text">
        <strong>Not saved</strong> — {save.message}. Your changes are kept in this browser{save.status === 'offline' ? ' and will be saved when the server answers' : ''}.
      </div>
      <div className="fd-banner-actions">
        <button type="button" className="fd-btn" onClick={() => void saveNow()}>
          Try again now
        </button>
      </div>
    </div>
  )
}

function RestoreBanner() {
  const offer = useEditor((s) => s.restoreOffer)
  if (!offer) return null
  return (
    <div className="fd-banner warn" role="alert" data-testid="restore-banner">
      <div className="fd-banner-text">
        <strong>Unsaved changes from {formatWhen(offer.savedAt)}</strong> were found in this browser ({offer.graph.nodes.length} steps).
      </div>
      <div className="fd-banner-actions">
        <button type="button" className="fd-btn primary" onClick={restoreBackup} data-testid="btn-restore">
          Restore them
        </button>
        <button type="button" className="fd-btn" onClick={discardBackup} data-testid="btn-discard-backup">
          Discard
        </button>
      </div>
    </div>
  )
}

function ReadOnlyBanner() {
  const show = useEditor((s) => s.boot.mode === 'edit' && !s.boot.canEdit && s.loaded)
  if (!show) return null
  return (
    <div className="fd-banner info" data-testid="readonly-banner">
      <div className="fd-banner-text">Read-only: you can look at this workflow, check it, see its versions and compare them. Editing needs the analyst role.</div>
    </div>
  )
}

function CompareBanner() {
  const compare = useEditor((s) => s.compare)
  if (!compare) return null
  const d = compare.diff
  return (
    <div className={`fd-banner ${d.behaviourChanged ? 'info' : 'ok'}`} data-testid="compare-banner">
      <div className="fd-banner-text">
        <strong>
          {compare.fromLabel} → {compare.toLabel}:
        </strong>{' '}
        <span data-testid="diff-summary">{d.summary}</span>
        {!d.behaviourChanged && d.layoutChanged && <span className="fd-muted"> — behaves the same</span>}
      </div>
      <DiffLegend />
      <div className="fd-banner-actions">
        <button type="button" className="fd-btn" onClick={closeCompare} data-testid="btn-exit-compare">
          Back to editing
        </button>
      </div>
    </div>
  )
}

function RunBanner() {
  const run = useEditor((s) => (s.boot.mode === 'edit' ? s.run : null))
  if (!run) return null
  return (
    <div className="fd-banner info" data-testid="run-banner">
      <div className="fd-banner-text">
        Test run <StatusPill status={run.status} /> {!run.final && <span className="fd-spinner" aria-label="running" />} — the canvas shows the path it took. Click a step for its output.
      </div>
      <div className="fd-banner-actions">
        <button type="button" className="fd-btn" onClick={() => setRightTab('test')}>
          Details
        </button>
        <button type="button" className="fd-btn" onClick={clearRun}>
          Clear
        </button>
      </div>
    </div>
  )
}

export function Banners() {
  return (
    <div className="fd-banners">
      <ConflictBanner />
      <RestoreBanner />
      <SaveErrorBanner />
      <ReadOnlyBanner />
      <CompareBanner />
      <RunBanner />
      <Toasts />
    </div>
  )
}
