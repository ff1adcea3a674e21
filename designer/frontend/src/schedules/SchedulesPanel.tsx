import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react'
import { ApiError, allPages, del, enc, errorMessage, patch, post } from '../api/client'
import { instanceUrl } from '../run/RunDialog'
import { toast, useEditor } from '../state/store'
import { formatWhen } from '../ui/when'
import { CRON_EXAMPLES, OVERLAPS, emptyForm, errorsByField, formOf, toBody, wallTime, type FieldErrors, type Schedule, type ScheduleForm } from './schedules'

interface Editing {
  /** null: a new schedule. */
  id: number | null
  form: ScheduleForm
  before?: ScheduleForm
}

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []
  } catch {
    return []
  }
})()

/** The template's cron schedules: their next five fires, last runs, and (operators) create, edit, pause, delete. */
export function SchedulesPanel() {
  const template = useEditor((s) => s.boot.template)
  const canSchedule = useEditor((s) => s.boot.canSchedule)
  const published = useEditor((s) => s.template?.latest_version ?? null)
  const [list, setList] = useState<Schedule[] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [editing, setEditing] = useState<Editing | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    try {
      setList(await allPages<Schedule>(`schedules/?template=${enc(template)}`, 10))
      setLoadError(null)
    } catch (e) {
      setLoadError(errorMessage(e))
    }
  }, [template])

  useEffect(() => {
    void load()
    const timer = window.setInterval(() => void load(), 60_000) // the next fires move on
    return () => window.clearInterval(timer)
  }, [load])

  const open = (next: Editing | null) => {
    setEditing(next)
    setErrors({})
  }

  const save = async () => {
    if (!editing) return
    const { body, errors: local } = toBody(editing.form, template, editing.before)
    if (!body) return setErrors(local)
    setBusy(true)
    try {
      if (editing.id === null) await post<Schedule>('schedules/', body)
      else if (Object.keys(body).length) await patch<Schedule>(`schedules/${editing.id}/`, body)
      toast(editing.id === null ? `Schedule ${editing.form.name} created` : `Schedule ${editing.form.name} saved`, 'success')
      open(null)
      await load()
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 400 ? errorsByField(e.errors, e.message) : { '': [errorMessage(e)] })
    } finally {
      setBusy(false)
    }
  }

  const act = async (s: Schedule, what: 'pause' | 'resume' | 'delete') => {
    setBusy(true)
    try {
      if (what === 'delete') await del(`schedules/${s.id}/`)
      else await post(`schedules/${s.id}/${what}/`, {})
      toast(`Schedule ${s.name} ${what === 'delete' ? 'deleted' : what === 'pause' ? 'paused' : 'resumed'}`, 'success')
      await load()
    } catch (e) {
      toast(`Could not ${what} ${s.name}: ${errorMessage(e)}`, 'error')
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="fd-schedules" data-testid="schedules">
      <div className="fd-schedules-head">
        <h3>Schedules</h3>
        {canSchedule && !editing && (
          <button type="button" className="fd-btn small primary" disabled={published === null} onClick={() => open({ id: null, form: emptyForm(template, (list ?? []).map((s) => s.name)) })} data-testid="btn-new-schedule">
            New schedule
          </button>
        )}
      </div>
      <p className="fd-help">
        A schedule starts {published === null ? 'the latest published version' : `a published version (latest: v${published})`} of this workflow on a cron, in a time zone; daylight saving is followed.
        {published === null && ' Publish the workflow first.'}
        {!canSchedule && ' Only operators can create or change schedules.'}
      </p>
      {editing && <ScheduleEditor editing={editing} errors={errors} busy={busy} onChange={(form) => setEditing({ ...editing, form })} onSave={() => void save()} onCancel={() => open(null)} />}
      {loadError && <p className="fd-bad-text">{loadError}</p>}
      {!list && !loadError && <p className="fd-muted">Loading…</p>}
      {list && list.length === 0 && !editing && <p className="fd-muted" data-testid="schedules-empty">No schedules yet.</p>}
      <ul className="fd-schedule-list">
        {list?.map((s) => (
          <ScheduleCard key={s.id} schedule={s} canSchedule={canSchedule} busy={busy} onEdit={() => open({ id: s.id, form: formOf(s), before: formOf(s) })} onAct={(what) => void act(s, what)} />
        ))}
      </ul>
    </div>
  )
}

function ScheduleCard({ schedule: s, canSchedule, busy, onEdit, onAct }: { schedule: Schedule; canSchedule: boolean; busy: boolean; onEdit: () => void; onAct: (what: 'pause' | 'resume' | 'delete') => void }) {
  const [confirming, setConfirming] = useState(false)
  return (
    <li className="fd-schedule" data-testid={`schedule-${s.name}`}>
      <div className="fd-version-head">
        <span className="fd-schedule-name">{s.name}</span>
        <span className={`fd-pill ${s.enabled ? 'st-running' : 'st-paused'}`}>{s.enabled ? 'active' : 'paused'}</span>
      </div>
      <div className="fd-schedule-when">
        <code>{s.cron}</code> · {s.timezone} · {s.version === null ? 'latest version' : `v${s.version}`}
        {s.overlap !== 'skip' && <> · {s.overlap.replace('_', ' ')}</>}
        {s.catch_up && <> · catch-up</>}
      </div>
      {s.problem && (
        <p className="fd-bad-text" data-testid="schedule-problem">
          Last fire failed: {s.problem}
        </p>
      )}
      <div className="fd-label fd-schedule-sub">{s.enabled ? 'Next fires' : 'Would fire, once resumed'}</div>
      <ol className="fd-fire-list" data-testid="schedule-fires">
        {s.next_fires.map((f) => (
          <li key={f} title={f}>
            {wallTime(f)}
          </li>
        ))}
        {s.next_fires.length === 0 && <li className="fd-muted">none</li>}
      </ol>
      {s.last_runs.length > 0 && (
        <>
          <div className="fd-label fd-schedule-sub">Last runs</div>
          <ul className="fd-schedule-runs">
            {s.last_runs.map((r) => (
              <li key={r.id}>
                <span className={`fd-pill st-${r.status}`}>{r.status.replace('_', ' ')}</span>
                <a className="fd-link" href={instanceUrl(r.id)}>
                  {formatWhen(r.created_at)}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      {canSchedule && (
        <div className="fd-version-actions">
          <button type="button" className="fd-link-btn" disabled={busy} onClick={() => onAct(s.enabled ? 'pause' : 'resume')} data-testid={`btn-${s.enabled ? 'pause' : 'resume'}-${s.name}`}>
            {s.enabled ? 'Pause' : 'Resume'}
          </button>
          <button type="button" className="fd-link-btn" disabled={busy} onClick={onEdit} data-testid={`btn-edit-${s.name}`}>
            Edit
          </button>
          {confirming ? (
            <>
              <button type="button" className="fd-link-btn fd-bad-text" disabled={busy} onClick={() => onAct('delete')} data-testid={`btn-confirm-delete-${s.name}`}>
                Delete it (its runs stay)
              </button>
              <button type="button" className="fd-link-btn" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="fd-link-btn" disabled={busy} onClick={() => setConfirming(true)} data-testid={`btn-delete-${s.name}`}>
              Delete
            </button>
          )}
        </div>
      )}
    </li>
  )
}

function ScheduleEditor({ editing, errors, busy, onChange, onSave, onCancel }: { editing: Editing; errors: FieldErrors; busy: boolean; onChange: (f: ScheduleForm) => void; onSave: () => void; onCancel: () => void }) {
  const f = editing.form
  const set = <K extends keyof ScheduleForm>(key: K, value: ScheduleForm[K]) => onChange({ ...f, [key]: value })
  const zones = useMemo(() => ZONES.slice(0, 1000), [])
  const field = (key: string, label: string, control: ReactNode, help?: ReactNode) => (
    <div className={`fd-field${errors[key] ? ' has-error' : ''}`}>
      <label className="fd-label" htmlFor={`fd-schedule-${key}`}>
        {label}
      </label>
      {control}
      {help && <div className="fd-help">{help}</div>}
      {errors[key] && (
        <div className="fd-field-errors" role="alert" data-testid={`schedule-error-${key}`}>
          {errors[key]!.join('; ')}
        </div>
      )}
    </div>
  )
  const text = (key: 'name' | 'cron' | 'timezone' | 'version' | 'priority', extra: Record<string, string> = {}) => (
    <input id={`fd-schedule-${key}`} type="text" value={f[key]} spellCheck={false} aria-invalid={!!errors[key]} onChange={(e) => set(key, e.target.value)} data-testid={`schedule-${key}`} {...extra} />
  )
  return (
    <form
      className="fd-compare-box fd-schedule-form"
      aria-label={editing.id === null ? 'New schedule' : `Edit ${editing.before?.name}`}
      onSubmit={(e) => {
        e.preventDefault()
        onSave()
      }}
    >
      <h3>{editing.id === null ? 'New schedule' : `Edit ${editing.before?.name}`}</h3>
      {errors[''] && (
        <div className="fd-field-errors" role="alert" data-testid="schedule-error">
          {errors['']!.join('; ')}
        </div>
      )}
      {field('name', 'Name', text('name'))}
      {field(
        'cron',
        'Cron',
        <>
          {text('cron', { list: 'fd-cron-examples', className: 'fd-mono' })}
          <datalist id="fd-cron-examples">
            {CRON_EXAMPLES.map(([expr, what]) => (
              <option key={expr} value={expr}>
                {what}
              </option>
            ))}
          </datalist>
        </>,
        <>minute hour day-of-month month day-of-week, e.g. <code>0 2 * * *</code> (every day at 02:00)</>,
      )}
      {field(
        'timezone',
        'Time zone',
        <>
          {text('timezone', { list: 'fd-zones' })}
          <datalist id="fd-zones">
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </>,
      )}
      <div className="fd-schedule-pair">
        {field('version', 'Version', text('version', { placeholder: 'latest', inputMode: 'numeric' }))}
        {field('priority', 'Priority', text('priority', { inputMode: 'numeric' }))}
      </div>
      {field(
        'overlap',
        'If the previous run is still open',
        <select id="fd-schedule-overlap" value={f.overlap} onChange={(e) => set('overlap', e.target.value as ScheduleForm['overlap'])} data-testid="schedule-overlap">
          {OVERLAPS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>,
      )}
      {field('input', 'Input (a JSON object)', <textarea id="fd-schedule-input" className="fd-mono" rows={4} value={f.input} spellCheck={false} aria-invalid={!!errors.input} onChange={(e) => set('input', e.target.value)} data-testid="schedule-input" />)}
      <div className="fd-field">
        <label className="fd-check-row">
          <input type="checkbox" checked={f.catch_up} onChange={(e) => set('catch_up', e.target.checked)} data-testid="schedule-catch_up" /> After downtime, fire once for what was missed
        </label>
      </div>
      <div className="fd-field">
        <label className="fd-check-row">
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} data-testid="schedule-enabled" /> Active
        </label>
      </div>
      <div className="fd-compare-row fd-schedule-buttons">
        <button type="submit" className="fd-btn primary" disabled={busy} data-testid="btn-save-schedule">
          {editing.id === null ? 'Create schedule' : 'Save'}
        </button>
        <button type="button" className="fd-btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  )
}
