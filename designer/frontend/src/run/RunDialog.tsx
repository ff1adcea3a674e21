import { useState } from 'react'
import { enc, errorMessage, post } from '../api/client'
import { pretty } from '../graph/json'
import { parseInputObject, startingInput } from './inputs'
import { currentDoc, labelIndex, setDialog, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'

export const instanceUrl = (id: string) => `/instances/${enc(id)}/`

/** Start an instance of the latest published version, then open its page. */
export function RunDialog() {
  const template = useEditor((s) => s.template)
  const name = useEditor((s) => s.boot.template)
  // the template's example input, else one suggested from what the steps' handlers read
  const [initial] = useState(() => startingInput(template?.example_input, currentDoc().nodes, useEditor.getState().handlers))
  const [text, setText] = useState(() => pretty(initial.value))
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
      <textarea id="fd-run-input" className="fd-mono" rows={10} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} data-testid="run-input" aria-invalid={!!parsed.error} aria-describedby={initial.suggestedFrom.length ? 'fd-run-suggested' : undefined} />
      <SuggestedFrom id="fd-run-suggested" steps={initial.suggestedFrom} />
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

/** Says where a suggested input came from (by step label), so nobody takes its examples for real values. */
export function SuggestedFrom({ id, steps }: { id: string; steps: readonly string[] }) {
  if (steps.length === 0) return null
  const labels = labelIndex(useEditor.getState().nodes)
  const names = steps.map((s) => `“${labels.get(s) || s}”`)
  const named = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')
  return (
    <p className="fd-help" id={id} data-testid="input-suggested">
      {steps.length === 1 ? `Suggested from what step ${named} reads (its handler’s input schema)` : `Suggested from what steps ${named} read (their handlers’ input schemas)`}: check
      the example values and fill in the blanks.
    </p>
  )
}
