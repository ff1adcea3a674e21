import { useState } from 'react'
import { ApiError, enc, errorMessage, get, post } from '../api/client'
import type { ApiFieldError, TemplateInfo, VersionInfo } from '../api/types'
import { focusNode, setDialog, toast, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'
import { validateNow } from '../validation/validator'
import { draftPublished, saveNow } from './persistence'
import { publishOffer } from './publishOffer'

export function PublishDialog() {
  const template = useEditor((s) => s.template)
  const errorsNow = useEditor((s) => s.validation.errors.length)
  const changed = useEditor((s) => s.save.changed)
  const saved = useEditor((s) => s.save.status === 'saved')
  const latest = template?.latest_version
  const offer = publishOffer(latest, changed, saved)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const [errors, setErrors] = useState<ApiFieldError[]>([])
  const close = () => setDialog(null)

  const publish = async () => {
    setBusy(true)
    setMessage(null)
    setErrors([])
    const s = useEditor.getState()
    try {
      if (!(await saveNow())) {
        const save = useEditor.getState().save
        setMessage(`The draft is not saved (${save.message ?? save.status}); publishing takes the saved draft.`)
        return
      }
      if (publishOffer(latest, useEditor.getState().save.changed, true).unchanged) {
        setMessage(`No changes since v${latest}: the draft behaves like it (moving steps is layout, not a change).`)
        return
      }
      const version = await post<VersionInfo>(`templates/${enc(s.boot.template)}/publish/`, { change_note: note.trim() })
      draftPublished(useEditor.getState().history.present)
      const info = await get<TemplateInfo>(`templates/${enc(s.boot.template)}/`).catch(() => null)
      useEditor.setState({ template: info ?? (s.template ? { ...s.template, latest_version: version.number, has_draft: false } : null) })
      toast(`Published version ${version.number}.`, 'success')
      close()
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.errors.length) {
        setErrors(e.errors)
        setMessage('The server refused to publish: fix these problems first.')
        useEditor.setState({ problemsOpen: true })
        void validateNow(true)
      } else if (e instanceof ApiError && e.status === 409) {
        setMessage(`Nothing to publish: ${e.message}. The graph is the same as the latest version.`)
      } else {
        setMessage(errorMessage(e))
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog
      title={`Publish ${template?.title ?? ''}`}
      onClose={close}
      testid="publish-dialog"
      footer={
        <>
          <button type="button" className="fd-btn" onClick={close}>
            Cancel
          </button>
          <button type="button" className="fd-btn primary" disabled={busy || offer.unchanged} onClick={() => void publish()} data-testid="btn-confirm-publish">
            {busy ? 'Publishing…' : offer.label}
          </button>
        </>
      }
    >
      {offer.unchanged ? (
        <p data-testid="publish-unchanged">No changes since v{latest}: the draft behaves like the latest version, so there is nothing to publish. Change the graph first.</p>
      ) : (
        <p>The draft becomes version {(latest ?? 0) + 1}: new instances run it; running ones keep their version.</p>
      )}
      {errorsNow > 0 && <p className="fd-warn-text">The last check found {errorsNow} problem(s); the server will refuse an invalid graph.</p>}
      <label className="fd-label" htmlFor="fd-change-note">
        Change note
      </label>
      <textarea
        id="fd-change-note"
        rows={3}
        value={note}
        maxLength={2000}
        onChange={(e) => setNote(e.target.value)}
        placeholder="What changed and why (shown in the version history)"
        data-testid="publish-note"
      />
      {message && (
        <p className="fd-bad-text" role="alert" data-testid="publish-error">
          {message}
        </p>
      )}
      {errors.length > 0 && (
        <ul className="fd-problem-list compact" data-testid="publish-errors">
          {errors.map((e, i) => (
            <li key={i}>
              <button
                type="button"
                className="fd-problem"
                onClick={() => {
                  const node = e.node ?? e.nodes?.[0]
                  if (node) {
                    close()
                    focusNode(node)
                  }
                }}
              >
                <span className="fd-problem-icon" aria-hidden="true">
                  !
                </span>
                {e.node && <code className="fd-problem-id">{e.node}</code>}
                <span className="fd-problem-msg">{e.message}</span>
                {e.field && <code className="fd-problem-field">{e.field}</code>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  )
}
