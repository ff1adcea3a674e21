import { useEffect, useRef } from 'react'
import { selectOnly, useEditor, useNodeLabel } from '../state/store'
import { closeStepDrawer, rememberOpener, revealBesideDrawer } from './drawer'
import { StepDetails } from './RunDetails'

/**
 * The instance page's step drawer: one attempt of the step chosen on the canvas, in the step list
 * or on the timeline, in full. It lies over the right of the canvas (nothing reflows as it opens or
 * as live updates fill it); Esc or × closes it and focus goes back to what opened it.
 */
export function StepDrawer() {
  const run = useEditor((s) => s.run)
  const node = useEditor((s) => s.runSelected)
  const label = useNodeLabel(node ?? '')
  const ref = useRef<HTMLElement>(null)

  useEffect(() => {
    const drawer = ref.current
    if (!node || !drawer) return
    rememberOpener(drawer)
    const selected = useEditor.getState().selectedIds
    if (selected.length !== 1 || selected[0] !== node) selectOnly([node]) // the canvas shows whose drawer it is
    revealBesideDrawer(node, drawer)
    drawer.focus({ preventScroll: true })
  }, [node, !!run])

  if (!run || !node) return null
  return (
    <aside
      ref={ref}
      className="fd-drawer"
      tabIndex={-1}
      aria-label={`Step ${label}`}
      data-testid="step-drawer"
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return
        e.stopPropagation() // the page's shortcuts would close it again, or clear the selection
        if ((e.target as Element).closest('dialog')) return // an image viewer inside closes itself
        e.preventDefault()
        closeStepDrawer()
      }}
    >
      <StepDetails run={run} id={node} onClose={closeStepDrawer} />
    </aside>
  )
}
