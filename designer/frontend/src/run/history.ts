/** The instance page's event history: fetched in pages when the History tab opens, then kept live
 * from the socket the page already has open (no second socket, no polling). */
import { create } from 'zustand'
import { enc, errorMessage, get } from '../api/client'
import { mergeEvents, type InstanceEvent } from './events'

interface HistoryState {
  instanceId: string
  events: InstanceEvent[]
  loading: boolean
  loaded: boolean
  error: string | null
  /** More than MAX_PAGES pages: the oldest are shown, the rest is in the API. */
  truncated: boolean
}

export const useHistory = create<HistoryState>(() => ({ instanceId: '', events: [], loading: false, loaded: false, error: null, truncated: false }))

const PAGE = 2000
const MAX_PAGES = 10

/** Socket events of the followed instance (before the tab opens too: they are merged with the pages). */
export function addLiveEvent(event: InstanceEvent) {
  useHistory.setState((s) => ({ events: mergeEvents(s.events, [event]) }))
}

/** The last event the page has of ``instanceId`` (0 for none). */
export function lastHistorySeq(instanceId: string): number {
  const s = useHistory.getState()
  return s.instanceId === instanceId && s.events.length ? Math.max(...s.events.map((e) => e.seq)) : 0
}

/** Events after ``after`` that the socket could not deliver (it was down when the run ended). */
export async function loadHistoryAfter(instanceId: string, after: number) {
  if (useHistory.getState().instanceId !== instanceId) return // never loaded: opening the tab loads it all
  try {
    const body = await get<{ results: InstanceEvent[] }>(`instances/${enc(instanceId)}/events/?after=${after}&limit=${PAGE}`)
    useHistory.setState((st) => ({ events: mergeEvents(st.events, body.results) }))
  } catch (e) {
    useHistory.setState({ error: `The history could not be brought up to date: ${errorMessage(e)}` })
  }
}

export async function loadHistory(instanceId: string) {
  const s = useHistory.getState()
  if (s.loading || (s.loaded && s.instanceId === instanceId)) return
  useHistory.setState({ instanceId, loading: true, error: null })
  try {
    let after = 0
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await get<{ results: InstanceEvent[]; last_seq: number; more: boolean }>(`instances/${enc(instanceId)}/events/?after=${after}&limit=${PAGE}`)
      useHistory.setState((st) => ({ events: mergeEvents(st.events, body.results) }))
      after = body.last_seq
      if (!body.more) break
      if (page === MAX_PAGES - 1) useHistory.setState({ truncated: true })
    }
    useHistory.setState({ loaded: true })
  } catch (e) {
    useHistory.setState({ error: `The history could not be loaded: ${errorMessage(e)}` })
  } finally {
    useHistory.setState({ loading: false })
  }
}
