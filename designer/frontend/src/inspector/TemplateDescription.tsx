/**
 * The workflow's description, in one place: the template's (what the template list shows), edited
 * through the template API. Graphs used to carry a second one in `settings.description`, which the
 * list never showed; a graph that still has one offers to move it here.
 */
import { useEffect, useId, useState } from 'react'
import { api, enc, errorMessage } from '../api/client'
import type { TemplateInfo } from '../api/types'
import { setSettings, useEditor } from '../state/store'

export function TemplateDescription() {
  const id = useId()
  const name = useEditor((s) => s.boot.template)
  const stored = useEditor((s) => s.template?.description ?? '')
  const readOnly = useEditor((s) => s.readOnly)
  const old = useEditor((s) => (typeof s.settings.description === 'string' ? s.settings.description.trim() : ''))
  const [text, setText] = useState(stored)
  const [status, setStatus] = useState<'idle' | 'saving' | 'saved' | 'error'>('idle')
  const [message, setMessage] = useState<string | null>(null)
  useEffect(() => setText(stored), [stored])

  const save = async (value: string) => {
    if (readOnly || value === stored) return true
    setStatus('saving')
    setMessage(null)
    try {
      const info = await api<TemplateInfo>('PATCH', `templates/${enc(name)}/`, { description: value })
      useEditor.setState({ template: info })
      setStatus('saved')
      return true
    } catch (e) {
      setStatus('error')
      setMessage(errorMessage(e))
      return false
    }
  }
  const moveOld = async () => {
    const value = stored ? `${stored}\n\n${old}` : old
    setText(value)
    if (await save(value)) setSettings(['description'], undefined)
  }

  return (
    <div className="fd-field" data-field="template.description">
      <label className="fd-label" htmlFor={id}>
        Description
      </label>
      <textarea
        id={id}
        rows={3}
        value={text}
        maxLength={2000}
        disabled={readOnly}
        data-testid="field-template-description"
        placeholder="What this workflow is for (shown in the template list)"
        onChange={(e) => {
          setText(e.target.value)
          setStatus('idle')
        }}
        onBlur={() => void save(text)}
      />
      <div className="fd-help" data-testid="template-description-status">
        {status === 'saving' ? 'Saving…' : status === 'saved' ? 'Saved to the template.' : "The template's description, as the template list shows it."}
      </div>
      {message && (
        <div className="fd-field-errors" role="alert">
          {message}
        </div>
      )}
      {old && old !== stored.trim() && !readOnly && (
        <div className="fd-help" data-testid="old-description">
          This graph also carries an older description in its settings: “{old.length > 80 ? `${old.slice(0, 80)}…` : old}”.{' '}
          <button type="button" className="fd-link-btn" onClick={() => void moveOld()}>
            Move it here
          </button>
        </div>
      )}
    </div>
  )
}
