/** Designer keyboard shortcuts (listed in the help dialog). */
import { autoLayout, fitAll } from '../canvas/actions'
import { flow } from '../canvas/flowRef'
import { closeCompare, copySelected, duplicateSelected, pasteClipboard, redo, selectAll, selectOnly, setDialog, toast, togglePlan, undo, useEditor } from '../state/store'
import { closeStepDrawer } from '../run/drawer'
import { saveNow } from '../versions/persistence'

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || !el.tagName) return false
  const tag = el.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable
}

export function handleShortcut(e: KeyboardEvent) {
  const s = useEditor.getState()
  if (!s.loaded) return
  if (s.dialog) return // dialogs handle their own keys (Escape closes them)
  if (typing(e.target)) return
  const mod = e.ctrlKey || e.metaKey
  const key = e.key.toLowerCase()
  const done = () => {
    e.preventDefault()
    e.stopPropagation()
  }
  if (mod && !e.altKey) {
    if (key === 'z' && !e.shiftKey) return done(), undo()
    if ((key === 'z' && e.shiftKey) || key === 'y') return done(), redo()
    if (key === 's') {
      done()
      if (!s.readOnly) void saveNow().then((ok) => ok && toast('Saved.', 'success'))
      return
    }
    if (window.getSelection()?.toString()) return // copying text the user selected
    if (key === 'c') {
      const n = copySelected()
      if (n) {
        done()
        toast(`Copied ${n} step${n === 1 ? '' : 's'}.`)
      }
      return
    }
    if (key === 'v' && !s.readOnly && !s.compare) {
      const n = pasteClipboard()
      if (n) done()
      return
    }
    if (key === 'd' && !s.readOnly && !s.compare) return done(), duplicateSelected()
    if (key === 'a') return done(), selectAll()
    return
  }
  if (e.altKey) return
  if (e.key === '?') return done(), setDialog('help')
  if (e.key === 'Escape') {
    if (s.compare) return done(), closeCompare()
    if (s.boot.mode === 'instance' && s.runSelected) return done(), closeStepDrawer()
    return selectOnly([])
  }
  if (key === 'f') return done(), fitAll()
  if (e.key === '+' || e.key === '=') return done(), void flow()?.zoomIn({ duration: 150 })
  if (e.key === '-' || e.key === '_') return done(), void flow()?.zoomOut({ duration: 150 })
  if (key === 'l' && e.shiftKey) return done(), void autoLayout()
  if (key === 'p' && s.validation.plan) return done(), togglePlan()
}
