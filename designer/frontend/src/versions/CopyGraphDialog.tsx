import { useEffect, useRef } from 'react'
import { pretty } from '../graph/json'
import { setDialog, useEditor } from '../state/store'
import { Dialog } from '../ui/Dialog'

/** When the clipboard is not available: the graph as text, selected, to copy by hand. */
export function CopyGraphDialog() {
  const text = useEditor((s) => pretty(s.history.present))
  const ref = useRef<HTMLTextAreaElement>(null)
  useEffect(() => ref.current?.select(), [])
  return (
    <Dialog title="Your graph (JSON)" onClose={() => setDialog(null)} testid="copy-graph-dialog" wide>
      <p>Copy this text ({navigator.platform.includes('Mac') ? '⌘' : 'Ctrl'}+C) and keep it safe; it can be imported from the template list.</p>
      <textarea ref={ref} className="fd-mono" rows={18} readOnly value={text} data-testid="copy-graph-text" />
    </Dialog>
  )
}
