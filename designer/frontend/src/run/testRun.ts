/** Test runs: the current draft runs for real, with chosen worker nodes stubbed; the canvas shows the path. */
import { errorMessage, post, enc } from '../api/client'
import type { InstanceDetail, Mock } from '../api/types'
import type { Json } from '../graph/types'
import { setRun, toast, useEditor } from '../state/store'
import { saveNow } from '../versions/persistence'
import { followInstance, type Poller } from './follow'
import { addLiveEvent, lastHistorySeq, loadHistoryAfter } from './history'
import type { InstanceEvent } from './events'
import { runView, withEvent } from './status'

let poller: Poller | null = null

/** Draw an instance's state over the document on the canvas. */
export function showInstance(instance: InstanceDetail) {
  const s = useEditor.getState()
  const doc = s.history.present
  setRun(runView(instance, doc.nodes.map((n) => n.id), doc.edges))
}

/** A live event: into the history, and onto the canvas at once (the detail fetched after a burst
 * of events corrects whatever an event alone cannot tell). */
function showEvent(id: string, event: InstanceEvent) {
  addLiveEvent(event)
  const run = useEditor.getState().run
  const next = run && run.instanceId === id ? withEvent(run.instance, event) : null
  if (next) showInstance(next)
}

export function watchInstance(id: string, onError: (message: string) => void = () => undefined, after = 0) {
  poller?.stop()
  const follower: Poller = followInstance(
    id,
    showInstance,
    onError,
    (mode) => {
      useEditor.setState({ runLive: mode === 'done' ? null : mode })
      if (mode === 'done' && poller === follower) poller = null // it stopped by itself: the run ended
    },
    undefined,
    (event) => showEvent(id, event),
    after,
    (missed) => void loadHistoryAfter(id, missed),
  )
  poller = follower
}

/** After Cancel or Retry: follow the instance again if following had stopped (a retried failed
 * instance runs again); a follower that is still on reuses its socket instead of opening another. */
export function followAgain(id: string, onError: (message: string) => void = () => undefined) {
  if (!poller) watchInstance(id, onError, lastHistorySeq(id)) // the socket sends only what the page lacks
}

export function stopWatching() {
  poller?.stop()
  poller = null
}

export function clearRun() {
  stopWatching()
  setRun(null)
  useEditor.setState({ runSelected: null })
}

export async function startTestRun(input: Json, mocks: Record<string, Mock>): Promise<string> {
  const s = useEditor.getState()
  const saved = await saveNow({ force: true }) // a test run runs the saved draft: make sure there is one
  if (!saved) {
    const status = useEditor.getState().save
    throw new Error(`the draft could not be saved first (${status.message ?? status.status}); a test run runs the saved draft`)
  }
  let created: { id: string }
  try {
    created = await post<{ id: string }>(`templates/${enc(s.boot.template)}/test-runs/`, { input, mocks })
  } catch (e) {
    throw new Error(errorMessage(e))
  }
  useEditor.setState({ runSelected: null })
  watchInstance(created.id, (m) => toast(`Test run: ${m}`, 'error'))
  return created.id
}
