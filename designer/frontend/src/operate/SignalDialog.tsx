/** Send a signal to the instance: its name (a signal node's, suggested from the graph) and a JSON payload. */
import { useMemo, useState } from 'react'
import { ApiError, enc, errorMessage, post } from '../api/client'
import type { InstanceDetail } from '../api/types'
import { toast, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'
import { utf8Bytes, formatBytes } from '../run/values'
import { parsePayload, signalNameError, signalNodes } from './signal'
import { requestOperateRefresh } from './refresh'

export function SignalDialog({ instance, onClose }: { instance: InstanceDetail; onClose(): void }) {
  const nodes = useEditor((s) => s.nodes)
  const steps = useEditor((s) => s.run?.steps)
  const known = useMemo(() => signalNodes(nodes, steps ?? new Map()), [nodes, steps])
  const [name, setName] = useState(() => known[0]?.name ?? '')
  const [text, setText] = useState('{\n  \n}')
  const [touched, setTouched] = useState(false)
  const [busy, setBusy] = useState(false)
  const [refused, setRefused] = useState<{ field: string | null; message: string } | null>(null)
  const nameError = signalNameError(name.trim())
  const parsed = parsePayload(text)
  const waiting = known.filter((k) => k.waiting && k.name === name.trim())

  const send = async () => {
    setTouched(true)
    if (nameError || parsed.error !== undefined) return
    setBusy(true)
    setRefused(null)
    try {
      const sent = await post<{ seq: number; name: string }>(`instances/${enc(instance.id)}/signals/${enc(name.trim())}/`, parsed.value)
      toast(`Signal ${sent.name} sent (#${sent.seq}).`, 'success')
      requestOperateRefresh()
      onClose()
    } catch (e) {
      setBusy(false)
      const field = e instanceof ApiError ? (e.errors[0]?.field ?? null) : null
      setRefused({ field, message: errorMessage(e) })
    }
  }

  return (
    <Dialog
      title="Send a signal"
      onClose={onClose}
      testid="signal-dialog"
      footer={
        <>
          <button type="button" className="fd-btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="fd-signal-form" className="fd-btn primary" disabled={busy || (touched && (!!nameError || parsed.error !== undefined))} data-testid="signal-send">
            {busy ? 'Sending…' : 'Send signal'}
          </button>
        </>
      }
    >
      <form
        id="fd-signal-form"
        onSubmit={(e) => {
          e.preventDefault()
          void send()
        }}
      >
        <p>
          Sent to instance <code>{instance.id.slice(0, 8)}</code> and kept: a signal node waiting for this name takes it now, or when one starts waiting (oldest first).
        </p>
        <label className="fd-label" htmlFor="fd-signal-name">
          Name
        </label>
        <input
          id="fd-signal-name"
          className="fd-mono"
          list="fd-signal-names"
          value={name}
          maxLength={100}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={touched && !!nameError}
          aria-describedby="fd-signal-name-help"
          data-testid="signal-name"
        />
        <datalist id="fd-signal-names">
          {[...new Set(known.map((k) => k.name))].map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <p className="fd-help" id="fd-signal-name-help" data-testid="signal-name-help">
          {touched && nameError ? (
            <span className="fd-bad-text">{nameError}</span>
          ) : waiting.length ? (
            <>
              Step {waiting.map((w) => <code key={w.node}>{w.node}</code>)} is waiting for it now.
            </>
          ) : known.length ? (
            <>Signal nodes of this workflow wait for: {[...new Set(known.map((k) => k.name))].join(', ')}.</>
          ) : (
            'This workflow has no signal node: the signal is kept, but nothing will take it.'
          )}
        </p>
        <label className="fd-label" htmlFor="fd-signal-payload">
          Payload (JSON; empty for none) <span className="fd-muted">· {formatBytes(utf8Bytes(text))}</span>
        </label>
        <textarea
          id="fd-signal-payload"
          className="fd-mono"
          rows={8}
          value={text}
          spellCheck={false}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault()
              void send()
            }
          }}
          aria-invalid={parsed.error !== undefined}
          data-testid="signal-payload"
        />
        {parsed.error !== undefined ? (
          <p className="fd-bad-text" role="alert" data-testid="signal-payload-error">
            {parsed.error}
          </p>
        ) : (
          <p className="fd-help">The waiting node's output. Ctrl+Enter sends.</p>
        )}
        {refused && (
          <p className="fd-bad-text" role="alert" data-testid="signal-refused" data-field={refused.field ?? ''}>
            {refused.field ? `${refused.field}: ` : ''}
            {refused.message}
          </p>
        )}
      </form>
    </Dialog>
  )
}
