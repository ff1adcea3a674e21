import { useState } from 'react'
import { enc, errorMessage, post } from '../api/client'
import { pretty } from '../graph/json'
import { parseInputObject } from './inputs'
import { setDialog, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'

export const instanceUrl = (id: string) => `/instances/${enc(id)}/`

/** Start an instance of the latest published version, then open its page. */
export function RunDialog() {
  const template = useEditor((s) => s.template)
  const name = useEditor((s) => s.boot.template)
  const [text, setText] = useState(() => pretty(template?.example_input ?? {}))
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const parsed = parseInputObject(text)
  const close = () => setDialog(null)
  const published = template?.latest_version ?? null

  const start = async () => {
    if (parsed.error || !published) return
    setBusy(true)
    setMessage(null)
    try {
      const created = await post<{ id: string }>('instances/', { template: name, input: parsed.value })
      window.location.assign(instanceUrl(created.id))
    } catch (e) {
      setMessage(errorMessage(e))
      setBusy(false)
    }
  }

  return (
    <Dialog
      title={`Run ${template?.title ?? name}`}
      onClose={close}
      testid="run-dialog"
      footer={
        <>
          <button type="button" className="fd-btn" onClick={close}>
            Cancel
          </button>
          <button type="button" className="fd-btn primary" disabled={busy || !!parsed.error || !published} onClick={() => void start()} data-testid="btn-start-run">
            {busy ? 'Starting…' : published ? `Run v${published}` : 'Run'}
          </button>
        </>
      }
    >
      {published ? (
        <p>Starts an instance of the latest published version, v{published}, and opens its page.</p>
      ) : (
        <p className="fd-warn-text">This template has no published version yet: publish the draft first, or use Test run.</p>
      )}
      <label className="fd-label" htmlFor="fd-run-input">
        Input (a JSON object)
      </label>
      <textarea id="fd-run-input" className="fd-mono" rows={10} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} data-testid="run-input" aria-invalid={!!parsed.error} />
      {parsed.error && (
        <p className="fd-bad-text" role="alert" data-testid="run-input-error">
          {parsed.error}
        </p>
      )}
      {message && (
        <p className="fd-bad-text" role="alert" data-testid="run-error">
          {message}
        </p>
      )}
    </Dialog>
  )
}
