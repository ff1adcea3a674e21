import { useState } from 'react'
import { ApiError, enc, errorMessage, get, post } from '../api/client'
import type { InstanceDetail } from '../api/types'
import { toast, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'
import { SignalDialog } from '../operate/SignalDialog'
import { type ControlAction, type SteerAction, controlReasons, controlRefusal, steerRefusal } from './control'
import { followAgain, showInstance } from './testRun'

const WORDS: Record<ControlAction, { button: string; title: string; confirm: string; busy: string; done: string }> = {
  cancel: { button: 'Cancel…', title: 'Cancel this instance?', confirm: 'Cancel instance', busy: 'Cancelling…', done: 'Cancel requested' },
  retry: { button: 'Retry…', title: 'Retry this instance?', confirm: 'Retry', busy: 'Retrying…', done: 'Retry requested' },
}

/** Pause or Resume (by state) and Signal for operators, at once; Cancel and Retry each behind a
 * confirmation; disabled with the reason otherwise. */
export function InstanceControls({ instance }: { instance: InstanceDetail }) {
  const [open, setOpen] = useState<ControlAction | null>(null)
  const [signalling, setSignalling] = useState(false)
  const canControl = instance.can_control ?? false
  const refusals = (['cancel', 'retry'] as const).map((a) => [a, controlRefusal(a, instance.status, canControl)] as const)
  const reasons = controlReasons(instance.status, canControl)
  const steer: SteerAction | null = instance.status === 'running' ? 'pause' : instance.status === 'paused' ? 'resume' : null
  const signalRefusal = steerRefusal('signal', instance.status, canControl)
  return (
    <div className="fd-controls" data-testid="instance-controls">
      <div className="fd-controls-buttons">
        {steer && <SteerButton action={steer} instance={instance} refusal={steerRefusal(steer, instance.status, canControl)} />}
        {(instance.status === 'pending' || instance.status === 'running' || instance.status === 'paused') && (
          <button type="button" className="fd-btn small" disabled={signalRefusal !== null} title={signalRefusal ?? 'Send a signal with a JSON payload'} data-testid="btn-signal" onClick={() => setSignalling(true)}>
            Signal…
          </button>
        )}
        {refusals.map(([action, refusal]) => (
          <button
            key={action}
            type="button"
            className={`fd-btn small ${action === 'cancel' ? 'danger' : ''}`}
            disabled={refusal !== null}
            title={refusal ?? undefined}
            data-testid={`btn-${action}`}
            onClick={() => setOpen(action)}
          >
            {WORDS[action].button}
          </button>
        ))}
      </div>
      {reasons.map((r) => (
        <p key={r} className="fd-muted" data-testid="control-reason">
          {r}
        </p>
      ))}
      {open && <ConfirmControl action={open} instance={instance} onClose={() => setOpen(null)} />}
      {signalling && <SignalDialog instance={instance} onClose={() => setSignalling(false)} />}
    </div>
  )
}

const STEER_WORDS = {
  pause: { button: 'Pause', busy: 'Pausing…', done: 'Paused', title: 'Running steps finish; nothing new starts until it is resumed' },
  resume: { button: 'Resume', busy: 'Resuming…', done: 'Resumed', title: 'What came due while it was paused (timers, signals) is delivered now' },
}

/** Pause and Resume take effect at once (each undoes the other): no confirmation, the outcome in a toast. */
function SteerButton({ action, instance, refusal }: { action: 'pause' | 'resume'; instance: InstanceDetail; refusal: string | null }) {
  const [busy, setBusy] = useState(false)
  const words = STEER_WORDS[action]
  const id = instance.id
  const go = async () => {
    setBusy(true)
    try {
      await post(`instances/${enc(id)}/${action}/`, {})
      toast(`${words.done} ${id.slice(0, 8)}.`, 'success')
    } catch (e) {
      toast(`Not ${words.done.toLowerCase()}: ${errorMessage(e)}`, 'error')
    } finally {
      setBusy(false)
      // draw the state as it is now (the socket's event follows)
      get<InstanceDetail>(`instances/${enc(id)}/`).then(showInstance, () => undefined)
      followAgain(id, (runError) => useEditor.setState({ runError }))
    }
  }
  return (
    <button type="button" className="fd-btn small" disabled={busy || refusal !== null} title={refusal ?? words.title} data-testid={`btn-${action}`} onClick={() => void go()}>
      {busy ? words.busy : words.button}
    </button>
  )
}

function ConfirmControl({ action, instance, onClose }: { action: ControlAction; instance: InstanceDetail; onClose(): void }) {
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [refused, setRefused] = useState<string | null>(null)
  const words = WORDS[action]
  const id = instance.id

  const confirm = async () => {
    setBusy(true)
    setRefused(null)
    try {
      await post(`instances/${enc(id)}/${action}/`, action === 'cancel' && reason.trim() ? { reason: reason.trim() } : {})
    } catch (e) {
      setBusy(false)
      setRefused(e instanceof ApiError && (e.status === 409 || e.status === 403) ? e.message : errorMessage(e))
      // the state may have moved on since the page drew the buttons: draw it as it is now
      get<InstanceDetail>(`instances/${enc(id)}/`).then(showInstance, () => undefined)
      return
    }
    onClose()
    toast(`${words.done} for ${id.slice(0, 8)}.`, 'success')
    followAgain(id, (runError) => useEditor.setState({ runError }))
  }

  return (
    <Dialog
      title={words.title}
      onClose={onClose}
      testid={`confirm-${action}`}
      footer={
        <>
          <button type="button" className="fd-btn" onClick={onClose}>
            {action === 'cancel' ? 'Keep it running' : 'Back'}
          </button>
          <button type="button" className={`fd-btn primary ${action === 'cancel' ? 'danger' : ''}`} disabled={busy} onClick={() => void confirm()} data-testid={`confirm-${action}-btn`}>
            {busy ? words.busy : words.confirm}
          </button>
        </>
      }
    >
      {action === 'cancel' ? (
        <>
          <p>
            Stops instance <code>{id.slice(0, 8)}</code> of {instance.template} v{instance.version}: running steps are cancelled and nothing more is scheduled. This cannot be undone.
          </p>
          <label className="fd-label" htmlFor="fd-cancel-reason">
            Reason (optional, kept in its history)
          </label>
          <textarea id="fd-cancel-reason" rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="cancel-reason" />
        </>
      ) : (
        <p>
          Runs the failed steps of instance <code>{id.slice(0, 8)}</code> ({instance.template} v{instance.version}) again; the steps that completed keep their output.
        </p>
      )}
      {refused && (
        <p className="fd-bad-text" role="alert" data-testid="control-refused">
          {refused}
        </p>
      )}
    </Dialog>
  )
}
