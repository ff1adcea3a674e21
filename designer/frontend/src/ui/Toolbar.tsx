import { autoLayout } from '../canvas/actions'
import { canRedo, canUndo } from '../state/history'
import { redo, setDialog, setRightTab, togglePlan, undo, useEditor, type RightTab, type SaveStatus } from '../state/store'
import { validateNow } from '../validation/validator'
import { saveNow } from '../versions/persistence'
import { StatusPill } from '../run/RunDetails'
import { Icon } from './icons'
import { formatTime } from './when'

const SAVE_TEXT: Record<SaveStatus, string> = {
  loading: 'Loading…',
  saved: 'Saved',
  dirty: 'Unsaved changes',
  saving: 'Saving…',
  offline: 'Offline — retrying',
  conflict: 'Not saved: conflict',
  error: 'Not saved',
  readonly: 'Read-only',
}

function SaveIndicator() {
  const save = useEditor((s) => s.save)
  const title =
    save.message ??
    (save.status === 'saved' && save.lastSavedAt ? `Saved at ${formatTime(save.lastSavedAt)}` : save.status === 'saved' ? 'No changes since the last save' : SAVE_TEXT[save.status])
  return (
    <button
      type="button"
      className={`fd-save sv-${save.status}`}
      data-testid="save-status"
      data-state={save.status}
      title={title}
      onClick={() => void saveNow()}
      disabled={save.status === 'readonly' || save.status === 'loading'}
      aria-live="polite"
    >
      <span className="fd-save-dot" aria-hidden="true" />
      {SAVE_TEXT[save.status]}
    </button>
  )
}

function ToolButton({ icon, label, onClick, testid, disabled, pressed, primary, iconOnly, badge, title }: { icon: string; label: string; onClick(): void; testid: string; disabled?: boolean; pressed?: boolean; primary?: boolean; iconOnly?: boolean; badge?: React.ReactNode; title?: string }) {
  return (
    <button
      type="button"
      className={`fd-tool ${primary ? 'primary' : ''} ${pressed ? 'on' : ''} ${iconOnly ? 'icon-only' : ''}`}
      aria-label={iconOnly ? label : undefined}
      onClick={onClick}
      data-testid={testid}
      disabled={disabled}
      aria-pressed={pressed}
      title={title ?? label}
    >
      <Icon name={icon} />
      <span className="fd-tool-label">{label}</span>
      {badge}
    </button>
  )
}

export function Toolbar() {
  const boot = useEditor((s) => s.boot)
  const template = useEditor((s) => s.template)
  const readOnly = useEditor((s) => s.readOnly)
  const comparing = useEditor((s) => !!s.compare)
  const undoable = useEditor((s) => canUndo(s.history))
  const redoable = useEditor((s) => canRedo(s.history))
  const validation = useEditor((s) => s.validation.status)
  const problems = useEditor((s) => s.validation.errors.length)
  const showPlan = useEditor((s) => s.showPlan)
  const hasPlan = useEditor((s) => !!s.validation.plan)
  const tab = useEditor((s) => s.rightTab)
  const layoutBusy = useEditor((s) => s.layoutBusy)
  const changed = useEditor((s) => s.save.changed)
  const run = useEditor((s) => s.run)
  const loaded = useEditor((s) => s.loaded)
  const instanceMode = boot.mode === 'instance'
  const openTab = (t: RightTab) => setRightTab(tab === t ? 'inspector' : t)

  const versionText = template
    ? template.latest_version
      ? `v${template.latest_version}${changed ? ' + draft' : ''}`
      : 'draft, never published'
    : ''

  return (
    <header className="fd-toolbar" role="toolbar" aria-label="Designer">
      <a className="fd-back" href={instanceMode && boot.template ? `/designer/t/${encodeURIComponent(boot.template)}/` : boot.home} title={instanceMode ? 'Back to the template' : 'All templates'}>
        <Icon name="back" />
        <span className="fd-brand">Flowdesk</span>
      </a>
      <div className="fd-title">
        <h1 title={template?.description || undefined}>{template?.title ?? boot.template}</h1>
        <div className="fd-subtitle" title={instanceMode ? `${boot.template} · instance ${boot.instance}` : [boot.template, versionText].filter(Boolean).join(' · ')}>
          <code>{boot.template}</code>
          {instanceMode ? (
            <>
              {' · instance '}
              <code title={boot.instance}>{boot.instance.slice(0, 8)}</code>
              {run && (
                <>
                  {' · v'}
                  {run.instance.version}
                </>
              )}
            </>
          ) : (
            versionText && <span> · {versionText}</span>
          )}
        </div>
      </div>
      {instanceMode ? run && <StatusPill status={run.status} testid="toolbar-status" /> : <SaveIndicator />}
      <div className="fd-spacer" />
      {!instanceMode && loaded && (
        <>
          {!readOnly && (
            <div className="fd-tool-group">
              <ToolButton icon="undo" label="Undo" onClick={undo} testid="btn-undo" disabled={!undoable || comparing} title="Undo (Ctrl+Z)" iconOnly />
              <ToolButton icon="redo" label="Redo" onClick={redo} testid="btn-redo" disabled={!redoable || comparing} title="Redo (Ctrl+Shift+Z)" iconOnly />
            </div>
          )}
          <div className="fd-tool-group">
            <ToolButton
              icon="check"
              label="Validate"
              onClick={() => {
                useEditor.setState({ problemsOpen: true })
                void validateNow(true)
              }}
              testid="btn-validate"
              title="Check the graph now (it is also checked as you edit)"
              badge={
                validation === 'checking' ? (
                  <span className="fd-badge muted">…</span>
                ) : problems > 0 ? (
                  <span className="fd-badge bad">{problems}</span>
                ) : validation === 'valid' ? (
                  <span className="fd-badge ok">✓</span>
                ) : null
              }
            />
            <ToolButton icon="plan" label="Plan" onClick={togglePlan} testid="btn-plan" pressed={showPlan} disabled={!hasPlan || comparing} title={hasPlan ? 'Show which steps run in parallel (P)' : 'The plan needs a valid graph'} />
            {!readOnly && <ToolButton icon="layout" label={layoutBusy ? 'Laying out…' : 'Layout'} onClick={() => void autoLayout()} testid="btn-layout" disabled={layoutBusy || comparing} title="Automatic layout, left to right (Shift+L)" />}
          </div>
          <div className="fd-tool-group">
            <ToolButton icon="history" label="Versions" onClick={() => openTab('versions')} testid="btn-versions" pressed={tab === 'versions'} />
            <ToolButton icon="flask" label="Test run" onClick={() => openTab('test')} testid="btn-test-run" pressed={tab === 'test'} />
            {boot.canRun && <ToolButton icon="play" label="Run" onClick={() => setDialog('run')} testid="btn-run" title={template?.latest_version ? `Run v${template.latest_version}` : 'Publish a version first'} />}
          </div>
          {!readOnly && (
            <div className="fd-tool-group">
              <ToolButton icon="publish" label="Publish" onClick={() => setDialog('publish')} testid="btn-publish" primary disabled={comparing} />
            </div>
          )}
        </>
      )}
      <ToolButton icon="help" label="Shortcuts" onClick={() => setDialog('help')} testid="btn-help" title="Keyboard shortcuts (?)" />
    </header>
  )
}
