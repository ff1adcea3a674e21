/**
 * The step drawer of the instance page, outside React: what opened it (focus goes back there when
 * it closes), closing it, and keeping its step in sight on the canvas beside it.
 */
import { flow } from '../canvas/flowRef'
import { focusNode, selectRunAttempt, useEditor } from '../state/store'

let opener: HTMLElement | null = null

/** Called as the drawer opens on a step: the element that has focus is what opened it. */
export function rememberOpener(drawer: HTMLElement | null) {
  const active = document.activeElement
  if (active instanceof HTMLElement && active !== document.body && !drawer?.contains(active)) opener = active
}

export function closeStepDrawer() {
  const node = useEditor.getState().runSelected
  useEditor.setState({ runSelected: null, runAttempt: null })
  // back to what opened it; a click on the canvas may not have focused anything: then its step
  const back = opener?.isConnected ? opener : node ? document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(node)}"]`) : null
  opener = null
  back?.focus({ preventScroll: true })
}

/** Opens a step of the run: the drawer on the instance page, the details of the test-run panel in the designer. */
export function openRunStep(id: string) {
  if (useEditor.getState().boot.mode !== 'instance') focusNode(id) // no drawer there: centre it
  selectRunAttempt(id)
}

const MARGIN = 24

/** Pans the canvas (only if needed) so the step is not hidden under the drawer, and selects it. */
export function revealBesideDrawer(id: string, drawer: HTMLElement) {
  const rf = flow()
  const stage = drawer.parentElement?.getBoundingClientRect()
  const node = rf?.getNode(id)
  if (!rf || !stage || !node) return
  const { x, y, zoom } = rf.getViewport()
  const w = node.measured?.width ?? 180
  const h = node.measured?.height ?? 80
  const visibleWidth = stage.width - drawer.offsetWidth
  const left = x + node.position.x * zoom
  const top = y + node.position.y * zoom
  const inSight = left >= MARGIN && left + w * zoom <= visibleWidth - MARGIN && top >= MARGIN && top + h * zoom <= stage.height - MARGIN
  if (inSight || visibleWidth < w * zoom) return
  // centre it in the part of the canvas the drawer leaves free
  void rf.setCenter(node.position.x + w / 2 + drawer.offsetWidth / 2 / zoom, node.position.y + h / 2, { zoom, duration: 250 })
}
